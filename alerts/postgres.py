"""Postgres from its own metrics (postgres_exporter): connections against max_connections, long open
transactions, deadlocks, database growth against the disk, and the exporter's own view.

Postgres is shared by ratd's two pools, Nessie and ratq; ratd's health check (RatPostgresDown) sees
only that ratd can ping it. Postgres down is that alert's page: RatPostgresUnreachable here is a
warning of the same service, so the critical-over-warning inhibition mutes it while Postgres is
down, and on day one (the monitoring role not created yet) it is a ticket, never a page.

The series read are those both the pinned exporter (v0.19.1) and Debian's 0.11 serve, summed over
the labels the two versions disagree on (docs/postgres.md, "Exporter versions"). Connections are
counted from pg_stat_activity, which the exporter reads over its one persistent connection: the
per-scrape connection of the newer collectors (pg_stat_database) is refused once Postgres is full.
"""

from __future__ import annotations

from alerts._shared import (
    BY_JOB,
    FILESYSTEMS,
    LOOKBACK,
    NODE_JOB,
    VALUE,
    held_scenarios,
    held_timing,
    logs,
    num,
    window,
)
from monitoring_as_code.catalog import POSTGRES_EXPORTER
from monitoring_as_code.model import COMPOSE, KUBERNETES, Alert, Firing, Runbook, Scenario, ScrapeJob
from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.settings import Settings

POSTGRES_EXPORTER_JOB = "postgres-exporter"
JOB = f'job="{POSTGRES_EXPORTER_JOB}"'
BY_TARGET = f"{BY_JOB}, instance"
INSTANCE = "postgres-exporter:9187"
TARGET = {"job": POSTGRES_EXPORTER_JOB, "instance": INSTANCE}
SCENARIO_MAX_CONNECTIONS = 100.0  # the scenarios' max_connections: only the ratio matters
PERCENT_1 = '{{ $value | printf "%.1f" }}%'
SERVICE = "postgres"
UP = f'pg_up{{{JOB},instance="{INSTANCE}"}}'
IDLE_IN_TRANSACTION = (
    f'pg_stat_activity_max_tx_duration{{{JOB},instance="{INSTANCE}",datname="rat",state="idle in transaction"}}'
)
# With Postgres down the exporter sleeps before it retries the connection (0.11: a scrape takes
# 1s), then answers pg_up 0: a scrape that times out first would hide RatPostgresUnreachable's series.
EXPORTER_ANSWERS_WITHIN = 3.0


def connections_percent() -> str:
    """Connections in use, as a percentage of max_connections."""
    used = f"sum by ({BY_TARGET}) (pg_stat_activity_count{{{JOB}}})"
    limit = f"max by ({BY_TARGET}) (pg_settings_max_connections{{{JOB}}})"
    return f"100 * {used}\n/ on ({BY_TARGET}) {limit}"


def longest_transaction() -> str:
    return f"max by ({BY_TARGET}, datname) (pg_stat_activity_max_tx_duration{{{JOB}}})"


def deadlocks(over: float) -> str:
    return f"sum by ({BY_TARGET}) (increase(pg_stat_database_deadlocks{{{JOB}}}[{window(over)}]))"


def disk_mountpoints(path: str) -> str:
    """A regex of the mountpoints that can hold `path`: `/` and each of its parent folders. The
    tightest of them is the one that fills (a separate small /var fills before /)."""
    parts = [p for p in path.split("/") if p]
    return "|".join(["/", *("/" + "/".join(parts[: k + 1]) for k in range(len(parts)))])


def psql(settings: Settings, sql: str) -> str:
    """A runbook's psql command: on compose in RAT's postgres container; on a cluster in a
    throwaway pod, against the `postgres` Service RAT's pods use (in the cluster or managed)."""
    user = settings.of(COMPOSE_SETTINGS).rat.postgres_user
    if settings.platform == KUBERNETES:
        namespace = settings.of(KUBERNETES_SETTINGS).rat_namespace
        return (
            f"`kubectl -n {namespace} run psql --rm -it --restart=Never --image=postgres:16.4-alpine -- "
            f'psql -h postgres -U {user} -c "{sql}"`'
        )
    return f'`docker compose exec postgres psql -U {user} -c "{sql}"`'


def define(settings: Settings) -> list[object]:
    t = settings.thresholds
    compose = settings.of(COMPOSE_SETTINGS)
    growth = t.postgres_growth_window
    horizon = t.postgres_disk_full_within
    mountpoints = disk_mountpoints(compose.rat.postgres_data)
    free = (
        f'min by (namespace) (node_filesystem_avail_bytes{{job="{NODE_JOB}",{FILESYSTEMS},'
        f'mountpoint=~"{mountpoints}"}})'
    )
    growing = f"sum by (namespace) (deriv(pg_database_size_bytes{{{JOB}}}[{window(growth)}]))"
    connections = (t.postgres_connections_warning_percent, t.postgres_connections_page_percent)
    return [
        ScrapeJob(
            POSTGRES_EXPORTER_JOB,
            [settings.targets.postgres_exporter],
            description="Postgres' connections, transactions, deadlocks and sizes (postgres_exporter)",
            sources=(POSTGRES_EXPORTER,),
            min_interval=EXPORTER_ANSWERS_WITHIN,
        ),
        Alert(
            name="RatPostgresUnreachable",
            expr=f"pg_up{{{JOB}}} == 0",
            for_=t.postgres_unreachable_for,
            severity="warning",
            service=SERVICE,
            condition="Postgres unreachable by its exporter",
            check="pg_up == 0",
            threshold=f"for {window(t.postgres_unreachable_for)}",
            summary="postgres-exporter cannot connect to Postgres",
            description=f"postgres-exporter has not reached Postgres for {window(t.postgres_unreachable_for)} "
            f"(pg_up = {VALUE}); every Postgres panel and alert but this one is blind.",
            runbook=Runbook(
                "The exporter runs but cannot log in to Postgres. With Postgres down, RatPostgresDown pages "
                "and mutes this warning; alone, it is the exporter's configuration: the monitoring role, its "
                "password, or the network.",
                [
                    f"{logs(settings, POSTGRES_EXPORTER_JOB, ' --tail 20')}: the connection error.",
                    psql(
                        settings,
                        "SELECT rolname, rolcanlogin FROM pg_roles "
                        f"WHERE rolname = '{compose.rat.postgres_monitor_user}'",
                    )
                    + ": does the monitoring role exist? docs/postgres.md has the SQL that creates it.",
                    "Does compose.secrets.postgres_exporter_password_file hold that role's password? "
                    "`mac preflight` checks the file is there and readable.",
                ],
            ),
            scenarios=held_scenarios({UP: 0}, {UP: 1}, t.postgres_unreachable_for, settings, TARGET, 0),
        ),
        Alert(
            name="RatPostgresExporterScrapeErrors",
            expr=f"pg_exporter_last_scrape_error{{{JOB}}} == 1\nand on ({BY_TARGET}) pg_up{{{JOB}}} == 1",
            for_=t.postgres_scrape_errors_for,
            severity="warning",
            service=SERVICE,
            condition="Postgres exporter errors",
            check="pg_exporter_last_scrape_error == 1 while pg_up == 1",
            threshold=f"for {window(t.postgres_scrape_errors_for)}",
            summary="postgres-exporter's queries fail",
            description=f"postgres-exporter reaches Postgres but its last scrape had an error (= {VALUE}): "
            "some Postgres series are missing.",
            runbook=Runbook(
                "The exporter is connected but one of its queries fails, usually a permission the "
                "monitoring role lacks: the Postgres panels and alerts reading that query are blind.",
                [
                    f"{logs(settings, POSTGRES_EXPORTER_JOB, ' --tail 50')}: which query fails, and why.",
                    "The role needs pg_monitor (docs/postgres.md): "
                    f"`GRANT pg_monitor TO {compose.rat.postgres_monitor_user};`",
                ],
            ),
            scenarios=_scrape_error_scenarios(settings),
        ),
        *(
            Alert(
                name=name,
                expr=f"{connections_percent()} > {num(limit)}",
                for_=t.postgres_connections_for,
                severity=severity,
                service=SERVICE,
                condition="Postgres connections",
                check="connections in pg_stat_activity / max_connections",
                threshold=f"> {num(limit)}% for {window(t.postgres_connections_for)}",
                summary=summary,
                description=f"Postgres has {PERCENT_1} of max_connections in use.",
                runbook=Runbook(
                    "ratd's two pools, Nessie, ratq and the runner share Postgres' max_connections; once "
                    'it is reached, new connections fail with "too many clients" (superuser slots aside).',
                    [
                        psql(
                            settings,
                            "SELECT usename, application_name, state, count(*) FROM pg_stat_activity "
                            "GROUP BY 1, 2, 3 ORDER BY 4 DESC",
                        )
                        + ": who holds them?",
                        "Many `idle` from one client: a pool larger than needed (ratd's main pool is 25); "
                        "many `idle in transaction`: see RatPostgresLongTransaction.",
                        "Raise max_connections only with the memory to match (each backend uses work_mem).",
                    ],
                ),
                scenarios=_connection_scenarios(limit, settings),
            )
            for name, severity, limit, summary in (
                ("RatPostgresConnectionsHigh", "warning", connections[0], "Postgres connections are filling up"),
                ("RatPostgresConnectionsExhausted", "critical", connections[1], "Postgres is out of connections"),
            )
        ),
        Alert(
            name="RatPostgresLongTransaction",
            expr=f"{longest_transaction()} > {num(t.postgres_transaction_max_age)}",
            for_=t.postgres_transaction_for,
            severity="warning",
            service=SERVICE,
            condition="Long transaction",
            check="pg_stat_activity_max_tx_duration",
            threshold=f"> {window(t.postgres_transaction_max_age)}",
            summary="A Postgres transaction has been open too long",
            description='A transaction in {{ $labels.datname }} has been open for {{ $value | printf "%.0f" }}s.',
            runbook=Runbook(
                "A transaction open this long holds its locks and keeps vacuum from cleaning up after it: "
                "tables bloat, and writers queue behind its locks.",
                [
                    psql(
                        settings,
                        "SELECT pid, usename, application_name, state, now() - xact_start AS age, left(query, 80) "
                        "FROM pg_stat_activity WHERE xact_start IS NOT NULL ORDER BY age DESC LIMIT 5",
                    ),
                    "`idle in transaction`: a client that began a transaction and stopped; fix the client, and "
                    "end it with `SELECT pg_terminate_backend(<pid>)` if it blocks others.",
                ],
            ),
            scenarios=held_scenarios(
                {IDLE_IN_TRANSACTION: t.postgres_transaction_max_age + 60},
                {IDLE_IN_TRANSACTION: t.postgres_transaction_max_age},
                t.postgres_transaction_for,
                settings,
                {**TARGET, "datname": "rat"},
                t.postgres_transaction_max_age + 60,
            ),
        ),
        Alert(
            name="RatPostgresDeadlocks",
            expr=f"{deadlocks(t.postgres_deadlocks_window)} > {num(t.postgres_deadlocks)}",
            severity="warning",
            service=SERVICE,
            condition="Deadlocks",
            check="increase(pg_stat_database_deadlocks)",
            threshold=f"> {num(t.postgres_deadlocks)} in {window(t.postgres_deadlocks_window)}",
            summary="Postgres is detecting deadlocks",
            description=f"Postgres aborted {VALUE} transaction(s) in deadlocks over the last "
            f"{window(t.postgres_deadlocks_window)}.",
            runbook=Runbook(
                "Postgres broke a deadlock by aborting one of the transactions: a run, a schedule update or "
                "a catalog commit failed, and its client saw an error.",
                [
                    logs(settings, SERVICE, then="| grep -A5 'deadlock detected'") + ": the two statements and tables.",
                    "Two writers taking the same rows or tables in opposite orders: which RAT component issues them?",
                ],
            ),
            scenarios=_deadlock_scenarios(settings),
        ),
        # On a cluster Postgres' data is on a volume claim or a managed service's disk, which no
        # node filesystem of node-exporter's stands for: compose only.
        *(
            [
                Alert(
                    name="RatPostgresDiskFilling",
                    expr=f"{growing} * {num(horizon)}\n> on (namespace) {free}",
                    for_=t.postgres_disk_growth_for,
                    severity="warning",
                    service=SERVICE,
                    condition="Database outgrows its disk",
                    check=f"database growth over {window(growth)} vs free space of {compose.rat.postgres_data}",
                    threshold=f"full within {window(horizon)}",
                    summary="Postgres' databases will fill their disk",
                    description=f"At their growth over the last {window(growth)}, Postgres' databases grow by {VALUE}B "
                    f"within {window(horizon)}: more than the free space where {compose.rat.postgres_data} lives.",
                    runbook=Runbook(
                        "The databases grow faster than the disk holding Postgres' data can take for long; when it "
                        "is full Postgres stops accepting writes, and ratd, Nessie and the runner fail with it.",
                        [
                            psql(settings, "SELECT datname, pg_size_pretty(pg_database_size(datname)) FROM pg_database")
                            + ": which database?",
                            "Run history and quality results grow with every run: prune old ones, or grow the volume.",
                            "Bloat from long transactions (RatPostgresLongTransaction) grows tables too: `VACUUM` once "
                            "they end.",
                        ],
                    ),
                    scenarios=_disk_scenarios(settings, mountpoints),
                ),
            ]
            if settings.platform == COMPOSE
            else []
        ),
    ]


def _scrape_error_scenarios(settings: Settings) -> list[Scenario]:
    samples, timing = held_timing(settings.thresholds.postgres_scrape_errors_for + 300, settings)
    error = f'pg_exporter_last_scrape_error{{{JOB},instance="{INSTANCE}"}}'
    up = f'pg_up{{{JOB},instance="{INSTANCE}"}}'
    return [
        Scenario(
            "fires while connected and failing",
            {error: f"1x{samples}", up: f"1x{samples}"},
            fires=[Firing(TARGET, 1)],
            **timing,
        ),
        Scenario("silent without errors", {error: f"0x{samples}", up: f"1x{samples}"}, **timing),
        Scenario(
            "silent while Postgres is unreachable (RatPostgresUnreachable says so)",
            {error: f"1x{samples}", up: f"0x{samples}"},
            **timing,
        ),
    ]


def _connection_scenarios(limit: float, settings: Settings) -> list[Scenario]:
    samples, timing = held_timing(settings.thresholds.postgres_connections_for + 300, settings)
    activity = f'pg_stat_activity_count{{{JOB},instance="{INSTANCE}",datname="rat"'
    max_connections = f'pg_settings_max_connections{{{JOB},instance="{INSTANCE}"}}'

    def used(idle: float, active: float) -> dict[str, str]:
        return {
            f'{activity},state="idle"}}': f"{num(idle)}x{samples}",
            f'{activity},state="active"}}': f"{num(active)}x{samples}",
            max_connections: f"{num(SCENARIO_MAX_CONNECTIONS)}x{samples}",
        }

    at_limit = SCENARIO_MAX_CONNECTIONS * limit / 100
    over = min(SCENARIO_MAX_CONNECTIONS, at_limit + 1)
    return [
        Scenario(
            "fires above the threshold (idle and active summed)",
            used(over - 1, 1),
            fires=[Firing(TARGET, 100 * over / SCENARIO_MAX_CONNECTIONS)],
            **timing,
        ),
        Scenario("silent at the threshold", used(at_limit - 1, 1), **timing),
    ]


def _deadlock_scenarios(settings: Settings) -> list[Scenario]:
    """One more deadlock than the threshold within the window fires; as many as the threshold do
    not. The counter steps once, then stays: increase() extrapolates nothing beyond a step."""
    t = settings.thresholds
    samples, timing = held_timing(t.postgres_deadlocks_window, settings)
    counter = f'pg_stat_database_deadlocks{{{JOB},instance="{INSTANCE}",datid="16384",datname="rat"}}'
    half = samples // 2

    def counted(extra: float) -> dict[str, str]:
        return {counter: f"0x{half} {num(extra)}x{samples - half}"}

    return [
        Scenario(
            "fires above the threshold",
            counted(t.postgres_deadlocks + 1),
            fires=[Firing(TARGET, t.postgres_deadlocks + 1)],
            **timing,
        ),
        Scenario("silent at the threshold", counted(t.postgres_deadlocks), **timing),
    ]


def _disk_scenarios(settings: Settings, mountpoints: str) -> list[Scenario]:
    t = settings.thresholds
    growth, horizon = t.postgres_growth_window, t.postgres_disk_full_within
    # Each evaluation reads the whole growth window (hours of samples): one every lookback judges the
    # growth and its `for` alike, at a twentieth of promtool's time at every sample.
    samples, timing = held_timing(growth + t.postgres_disk_growth_for + 300, settings, every=LOOKBACK)
    size = f'pg_database_size_bytes{{{JOB},instance="{INSTANCE}",datname="rat"}}'
    mountpoint = mountpoints.split("|")[-1]
    free = (
        f'node_filesystem_avail_bytes{{job="{NODE_JOB}",instance="node-exporter:9100",'
        f'device="/dev/sda1",fstype="ext4",mountpoint="{mountpoint}"}}'
    )
    per_step = 1000.0  # bytes the databases grow per sample
    grows = per_step / timing["interval"] * horizon  # within the horizon, as the rule computes it

    def scenario(name: str, available: float, fires: bool) -> Scenario:
        inputs = {size: f"0+{num(per_step)}x{samples}", free: f"{num(available)}x{samples}"}
        return Scenario(name, inputs, fires=[Firing({}, grows)] if fires else [], **timing)

    return [
        scenario("fires when the growth outruns the free space", grows / 2, True),
        scenario("silent while the free space outlasts the growth", grows * 2, False),
    ]
