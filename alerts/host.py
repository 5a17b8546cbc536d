"""The host and the containers: disk, container memory, backups.

The backup alerts read `rat_backup_last_success_timestamp_seconds`, which nothing in RAT writes:
its Makefile's `backup` target writes no metric and RAT schedules no backup. Rendered only with
compose.backup_alerts (off as shipped), else RatBackupMetricMissing would fire a day after every
install; `mac preflight` says they are off and how to turn them on (backup_alerts_note)."""

from __future__ import annotations

import math

from alerts._shared import FILESYSTEMS, NODE_JOB, VALUE, not_above, num, pace, window
from alerts.recording import CONTAINER_MEMORY, CONTAINER_MEMORY_LIMIT
from monitoring_as_code.catalog import BACKUP_METRIC
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import COMPOSE, Alert, Firing, Runbook, Scenario
from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.settings import Settings

# The host, cAdvisor and the backup textfile of one compose host; kube-prometheus brings its
# own node and container alerts (and alerts/replicas.py RAT's per-pod memory).
PLATFORMS = (COMPOSE,)

# The backup scenarios' ages: a day by default, up to a month (a monthly backup's age alert).
MAX_BACKUP_AGE = 30 * 86400
PERCENT_1 = '{{ $value | printf "%.1f" }}%'


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    if t.backup_max_age > MAX_BACKUP_AGE:
        raise DefinitionError(
            f"{window(t.backup_max_age)} is more than {window(MAX_BACKUP_AGE)}, the longest age the backup "
            "alerts' scenarios are tested with",
            obj="settings thresholds.backup_max_age",
            file=settings.source,
        )
    node = f'job="{NODE_JOB}",{FILESYSTEMS}'
    return [
        Alert(
            name="RatHostDiskFull",
            expr=(
                f"100 * (1 - node_filesystem_avail_bytes{{{node}}} / node_filesystem_size_bytes{{{node}}})"
                f" > {num(t.disk_usage_percent)}"
            ),
            for_=t.disk_for,
            severity="critical",
            service="host",
            condition="Disk full",
            check="Host disk usage",
            threshold=f"> {num(t.disk_usage_percent)}%",
            summary="Host disk is almost full",
            description=f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} is {PERCENT_1} full.",
            runbook=Runbook(
                "The host's disk is nearly full. Postgres, MinIO and Docker itself fail when it fills up.",
                [
                    "`df -h` and `docker system df` on the host: images, volumes or logs?",
                    _logs_step(settings),
                    "`docker image prune` for old images; grow the volume if the data itself grew.",
                ],
            ),
            scenarios=_disk_scenarios(settings),
        ),
        Alert(
            name="RatContainerMemoryPressure",
            expr=f"100 * {CONTAINER_MEMORY} / ({CONTAINER_MEMORY_LIMIT} > 0) > {num(t.container_memory_percent)}",
            for_=t.container_memory_for,
            severity="warning",
            service=None,
            condition="Memory pressure",
            check="Container memory usage",
            threshold=f"> {num(t.container_memory_percent)}% of limit",
            summary="A RAT container is close to its memory limit",
            description=f"{{{{ $labels.service }}}} uses {PERCENT_1} of its memory limit.",
            runbook=Runbook(
                "A container's working set is close to its memory limit; at the limit the kernel kills it "
                "(OOM). On the runner this is usually DuckDB processing a large dataset.",
                [
                    "`docker stats --no-stream <service>`.",
                    "Runner: if memory stays near the limit, raise DUCKDB_MEMORY_LIMIT and the container "
                    "memory limit together (see the Docker Compose page).",
                ],
            ),
            scenarios=_memory_scenarios(settings),
        ),
        *(_backup_alerts(settings) if settings.of(COMPOSE_SETTINGS).backup_alerts else []),
    ]


def _backup_alerts(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    max_age_hours = t.backup_max_age / 3600
    return [
        Alert(
            name="RatBackupTooOld",
            expr=f'(time() - max by (job) ({BACKUP_METRIC}{{job="{NODE_JOB}"}})) / 3600 > {num(max_age_hours)}',
            severity="info",
            service="backup",
            condition="Backup age",
            check=f"Latest backup timestamp ({BACKUP_METRIC})",
            threshold=f"> {window(t.backup_max_age)}",
            summary="RAT backup is older than expected",
            description='The last successful backup finished {{ $value | printf "%.1f" }} hours ago.',
            runbook=_backup_runbook(),
            scenarios=_backup_scenarios(settings, max_age_hours),
        ),
        Alert(
            name="RatBackupMetricMissing",
            expr=f'absent({BACKUP_METRIC}{{job="{NODE_JOB}"}})',
            for_=t.backup_max_age,
            severity="info",
            service="backup",
            condition="Backup age",
            check=f"{BACKUP_METRIC} is not published",
            threshold=f"missing for {window(t.backup_max_age)}",
            summary="No RAT backup has reported its timestamp",
            description=(
                f"{BACKUP_METRIC} has been absent for {window(t.backup_max_age)} "
                f"(absent = {VALUE}): the backup job never ran or cannot write its textfile."
            ),
            runbook=_backup_runbook(),
            scenarios=_missing_scenarios(t.backup_max_age),
        ),
    ]


def _logs_step(settings: Settings) -> str:
    """Where the containers' logs take disk space, as the logging driver of monitoring.yaml keeps them."""
    policy = settings.logging
    options = policy.options
    inspect = "`docker inspect <container> | jq '.[0].HostConfig.LogConfig'`"
    if not policy.ships_to_loki:
        return (
            f"Logs: each service keeps at most {options['max-file']} x {options['max-size']} with json-file "
            f"rotation; check that rotation is set ({inspect})."
        )
    if options.get("no-file") == "true":
        local = "no local copy (`no-file`)"
    elif "max-size" in options:
        local = f"a local copy for `docker logs` of at most {options.get('max-file', '1')} x {options['max-size']}"
    else:
        local = "an unrotated local copy for `docker logs` (`logging.loki` sets no `max-size`)"
    return (
        f"Logs: the Loki driver ships them to Loki, whose volume keeps {window(settings.retention.loki)} "
        f"(`retention.loki`), and keeps {local} per container; {inspect} shows a container's log options."
    )


def _backup_runbook() -> Runbook:
    return Runbook(
        f"Your backup job publishes `{BACKUP_METRIC}` (Unix time of its last success) through "
        "node-exporter's textfile collector: after each successful backup it writes "
        f"`{BACKUP_METRIC} <unix time>` to `rat_backup.prom` in the collector's folder "
        "(write a temporary file, then rename it). The `backup` target of RAT's Makefile writes no "
        "metric: this alert is rendered only with compose.backup_alerts: true, once your job writes it. "
        "The alert means that file is old or missing.",
        [
            "Check the backup job's last run (cron or systemd timer) and its log.",
            "Check that the job writes `rat_backup.prom` into node-exporter's `--collector.textfile.directory`.",
            "Run a backup by hand and confirm the metric's value moves.",
        ],
    )


SCENARIO_BYTES = 1000.0  # the scenarios' filesystem size and container memory limit: only ratios matter


def _disk_scenarios(settings: Settings) -> list[Scenario]:
    labels = {
        "job": NODE_JOB,
        "instance": "node-exporter:9100",
        "device": "/dev/sda1",
        "fstype": "ext4",
        "mountpoint": "/",
    }
    selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
    span = settings.thresholds.disk_for + 300
    step = pace(span, settings)
    samples = int(span // step)
    limit = settings.thresholds.disk_usage_percent

    def used(avail: float) -> float:  # as the rule computes it
        return 100 * (1 - avail / SCENARIO_BYTES)

    def avail(used_percent: float) -> float:
        return not_above(used_percent, SCENARIO_BYTES - SCENARIO_BYTES * used_percent / 100, used, math.inf)

    def series(avail_bytes: float) -> dict[str, str]:
        return {
            f"node_filesystem_size_bytes{{{selector}}}": f"{num(SCENARIO_BYTES)}x{samples}",
            f"node_filesystem_avail_bytes{{{selector}}}": f"{num(avail_bytes)}x{samples}",
        }

    over = avail(min(100.0, limit + 5))
    return [
        Scenario(
            "fires above the threshold",
            series(over),
            at=samples * step,
            interval=step,
            evaluation_interval=step,
            fires=[Firing(labels, used(over))],
        ),
        Scenario(
            "silent at the threshold", series(avail(limit)), at=samples * step, interval=step, evaluation_interval=step
        ),
    ]


def _memory_scenarios(settings: Settings) -> list[Scenario]:
    labels = 'job="cadvisor",container_label_com_docker_compose_service="runner",name="infra-runner-1"'
    span = settings.thresholds.container_memory_for + 300
    step = pace(span, settings)
    samples = int(span // step)
    limit = settings.thresholds.container_memory_percent

    def used(working_set: float) -> float:  # as the rule computes it
        return 100 * working_set / SCENARIO_BYTES

    def series(working_set: float, limit_bytes: float = SCENARIO_BYTES) -> dict[str, str]:
        return {
            f"container_memory_working_set_bytes{{{labels}}}": f"{num(working_set)}x{samples}",
            f"container_spec_memory_limit_bytes{{{labels}}}": f"{num(limit_bytes)}x{samples}",
        }

    over = SCENARIO_BYTES * min(100.0, limit + 5) / 100
    at_limit = not_above(limit, SCENARIO_BYTES * limit / 100, used, -math.inf)
    timing = {"at": samples * step, "interval": step, "evaluation_interval": step}
    return [
        Scenario(
            "fires above the threshold", series(over), fires=[Firing({"service": "runner"}, used(over))], **timing
        ),
        Scenario("silent at the threshold", series(at_limit), **timing),
        Scenario("silent for a container without a limit", series(SCENARIO_BYTES, limit_bytes=0), **timing),
    ]


def _backup_scenarios(settings: Settings, max_age_hours: float) -> list[Scenario]:
    """The series' value is the Unix time of the last backup, so its age at the evaluation time
    is set by the value: an hour over and an hour under the limit (half the limit, for limits
    under two hours), sampled and evaluated once per that margin."""
    max_age = max_age_hours * 3600
    margin = min(3600.0, max_age / 2)
    series = f'{BACKUP_METRIC}{{job="{NODE_JOB}"}}'
    steps = math.ceil((max_age + margin) / margin)
    at = steps * margin

    def backup(age: float) -> dict[str, str]:
        return {series: f"{num(at - age)}x{steps}"}

    return [
        Scenario(
            "fires when the last backup is older than the limit",
            backup(max_age + margin),
            at=at,
            interval=margin,
            fires=[Firing({"job": NODE_JOB}, (max_age + margin) / 3600)],
        ),
        Scenario("silent while the last backup is within the limit", backup(max_age - margin), at=at, interval=margin),
    ]


def _missing_scenarios(max_age: float) -> list[Scenario]:
    """absent() pending from the first evaluation fires once `for` (the maximum age) has passed.
    Samples and evaluations share one grid of three points, so a published series is seen at
    every evaluation however long the age."""
    span = max_age + min(600.0, max_age)
    timing = {"at": span, "interval": span / 2}
    return [
        Scenario(
            "fires when the metric never appears",
            {f'up{{job="{NODE_JOB}"}}': "1x2"},
            fires=[Firing({"job": NODE_JOB}, 1)],
            **timing,
        ),
        Scenario("silent while the metric is published", {f'{BACKUP_METRIC}{{job="{NODE_JOB}"}}': "0x2"}, **timing),
    ]
