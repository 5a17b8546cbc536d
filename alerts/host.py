"""The host and the containers: disk, container memory, backups."""

from __future__ import annotations

from alerts._shared import FILESYSTEMS, NODE_JOB, VALUE, num, window
from alerts.recording import CONTAINER_MEMORY, CONTAINER_MEMORY_LIMIT
from monitoring_as_code.model import COMPOSE, Alert, Firing, Runbook, Scenario
from monitoring_as_code.settings import Settings

# The host, cAdvisor and the backup textfile of one compose host; kube-prometheus brings its
# own node and container alerts (and alerts/replicas.py RAT's per-pod memory).
PLATFORMS = (COMPOSE,)

BACKUP_METRIC = "rat_backup_last_success_timestamp_seconds"
# Backup scenarios span a day: sampled (and so evaluated by promtool) every 5 minutes, not 15s.
BACKUP_STEP = 300
PERCENT_1 = '{{ $value | printf "%.1f" }}%'


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    node = f'job="{NODE_JOB}",{FILESYSTEMS}'
    max_age_hours = t.backup_max_age / 3600
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
                    "Logs: each service keeps at most 3 x 10 MB with json-file rotation; check that "
                    "rotation is set (`docker inspect --format '{{.HostConfig.LogConfig}}' <container>`).",
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
            scenarios=[
                Scenario(
                    "fires when the metric never appears",
                    {f'up{{job="{NODE_JOB}"}}': f"1x{int((t.backup_max_age + 600) // BACKUP_STEP)}"},
                    at=t.backup_max_age + 600,
                    interval=BACKUP_STEP,
                    fires=[Firing({"job": NODE_JOB}, 1)],
                ),
                Scenario(
                    "silent while the metric is published",
                    {f'{BACKUP_METRIC}{{job="{NODE_JOB}"}}': f"0x{int((t.backup_max_age + 600) // BACKUP_STEP)}"},
                    at=t.backup_max_age + 600,
                    interval=BACKUP_STEP,
                ),
            ],
        ),
    ]


def _backup_runbook() -> Runbook:
    return Runbook(
        f"The backup job publishes `{BACKUP_METRIC}` (Unix time of its last success) through "
        "node-exporter's textfile collector: after each successful backup it writes "
        f"`{BACKUP_METRIC} <unix time>` to `rat_backup.prom` in the collector's folder "
        "(write a temporary file, then rename it). The alert means that file is old or missing.",
        [
            "Check the backup job's last run (cron or systemd timer) and its log.",
            "Check that the job writes `rat_backup.prom` into node-exporter's `--collector.textfile.directory`.",
            "Run a backup by hand and confirm the metric's value moves.",
        ],
    )


def _disk_scenarios(settings: Settings) -> list[Scenario]:
    labels = {
        "job": NODE_JOB,
        "instance": "node-exporter:9100",
        "device": "/dev/sda1",
        "fstype": "ext4",
        "mountpoint": "/",
    }
    selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
    samples = int((settings.thresholds.disk_for + 300) // settings.intervals.scrape)
    at = samples * settings.intervals.scrape
    limit = settings.thresholds.disk_usage_percent

    def series(used_percent: float) -> dict[str, str]:
        return {
            f"node_filesystem_size_bytes{{{selector}}}": f"1000x{samples}",
            f"node_filesystem_avail_bytes{{{selector}}}": f"{num(1000 - 10 * used_percent)}x{samples}",
        }

    over = min(100.0, limit + 5)
    return [
        Scenario("fires above the threshold", series(over), at=at, fires=[Firing(labels, over)]),
        Scenario("silent at the threshold", series(limit), at=at),
    ]


def _memory_scenarios(settings: Settings) -> list[Scenario]:
    labels = 'job="cadvisor",container_label_com_docker_compose_service="runner",name="infra-runner-1"'
    samples = int((settings.thresholds.container_memory_for + 300) // settings.intervals.scrape)
    at = samples * settings.intervals.scrape
    limit = settings.thresholds.container_memory_percent

    def series(used_percent: float) -> dict[str, str]:
        return {
            f"container_memory_working_set_bytes{{{labels}}}": f"{num(10 * used_percent)}x{samples}",
            f"container_spec_memory_limit_bytes{{{labels}}}": f"1000x{samples}",
        }

    over = min(100.0, limit + 5)
    return [
        Scenario("fires above the threshold", series(over), at=at, fires=[Firing({"service": "runner"}, over)]),
        Scenario("silent at the threshold", series(limit), at=at),
        Scenario(
            "silent for a container without a limit",
            {f"container_memory_working_set_bytes{{{labels}}}": f"1000x{samples}",
             f"container_spec_memory_limit_bytes{{{labels}}}": f"0x{samples}"},
            at=at,
        ),
    ]  # fmt: skip


def _backup_scenarios(settings: Settings, max_age_hours: float) -> list[Scenario]:
    series = f'{BACKUP_METRIC}{{job="{NODE_JOB}"}}'
    over_hours = max_age_hours + 1
    samples = int(over_hours * 3600 // BACKUP_STEP)
    return [
        Scenario(
            "fires when the last backup is older than the limit",
            {series: f"0x{samples}"},
            at=over_hours * 3600,
            interval=BACKUP_STEP,
            fires=[Firing({"job": NODE_JOB}, over_hours)],
        ),
        Scenario(
            "silent while the last backup is within the limit",
            {series: f"0x{samples}"},
            at=(max_age_hours - 1) * 3600,
            interval=BACKUP_STEP,
        ),
    ]
