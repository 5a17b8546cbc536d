"""Postgres, from postgres_exporter: connections against max_connections, the longest open
transaction, deadlocks, database sizes against the disk's free space, and whether the exporter
reaches Postgres. Each panel reads what an alert of alerts/postgres.py reads, with its threshold."""

from __future__ import annotations

from grafanalib import core

from alerts._shared import window
from alerts.postgres import BY_TARGET, JOB, connections_percent, longest_transaction
from dashboards._shared import platform_dashboard, prometheus_variable, query, state_stat, threshold_lines
from monitoring_as_code.dashboard import Dashboard, grid, ref
from monitoring_as_code.model import COMPOSE
from monitoring_as_code.settings import Settings


def define(settings: Settings) -> list[Dashboard]:
    t = settings.thresholds
    prometheus = prometheus_variable(settings)
    metrics = ref(prometheus)
    exporter = state_stat(
        1,
        "Exporter Connected",
        "Whether postgres-exporter reaches Postgres (pg_up) and its last scrape had no error. "
        "Red: RatPostgresUnreachable or RatPostgresExporterScrapeErrors; every other panel here is blind then.",
        metrics,
        [
            query(f"min(pg_up{{{JOB}}})", "connected", instant=True),
            query(f"1 - max(pg_exporter_last_scrape_error{{{JOB}}})", "scrape clean", ref_id="B", instant=True),
        ],
        [core.Threshold("red", 0, 0.0), core.Threshold("green", 1, 1.0)],
        "no exporter data",
    )
    connections = core.TimeSeries(
        id=2,
        title="Connections",
        description="Connections in use as a share of max_connections (ratd's pools, Nessie, ratq, the runner "
        f"and the exporter). Lines: {t.postgres_connections_warning_percent:g}% warns "
        f"(RatPostgresConnectionsHigh), {t.postgres_connections_page_percent:g}% pages "
        "(RatPostgresConnectionsExhausted).",
        dataSource=metrics,
        targets=[query(connections_percent(), "{{instance}}")],
        unit="percent",
        **threshold_lines(
            ("orange", t.postgres_connections_warning_percent), ("red", t.postgres_connections_page_percent)
        ),
    )
    transactions = core.TimeSeries(
        id=3,
        title="Longest Open Transaction",
        description="Age of the oldest open transaction per database. The line marks "
        f"{window(t.postgres_transaction_max_age)} (RatPostgresLongTransaction).",
        dataSource=metrics,
        targets=[query(longest_transaction(), "{{datname}}")],
        unit="s",
        **threshold_lines(("red", t.postgres_transaction_max_age)),
    )
    deadlock_panel = core.TimeSeries(
        id=4,
        title="Deadlocks",
        description="Deadlocks Postgres broke, per graph interval. RatPostgresDeadlocks fires on more than "
        f"{t.postgres_deadlocks:g} within {window(t.postgres_deadlocks_window)}.",
        dataSource=metrics,
        targets=[
            query(
                f"sum by ({BY_TARGET}) (increase(pg_stat_database_deadlocks{{{JOB}}}[$__rate_interval]))",
                "{{instance}}",
            )
        ],
        unit="short",
    )
    sizes = core.TimeSeries(
        id=5,
        title="Database Size",
        description="Disk space of each database."
        + (
            " RatPostgresDiskFilling compares their growth with the free space of the filesystem holding "
            "Postgres' data."
            if settings.platform == COMPOSE
            else ""
        ),
        dataSource=metrics,
        targets=[query(f"max by (datname) (pg_database_size_bytes{{{JOB}}})", "{{datname}}")],
        unit="bytes",
    )
    return [
        platform_dashboard(
            "rat-postgres",
            "RAT Postgres",
            "Postgres as postgres-exporter sees it: connections, transactions, deadlocks, sizes.",
            prometheus,
            grid(
                (6, [(6, exporter), (18, connections)]),
                (8, [(12, transactions), (12, deadlock_panel)]),
                (8, [(24, sizes)]),
            ),
        )
    ]
