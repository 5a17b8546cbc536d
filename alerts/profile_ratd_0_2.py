"""The `ratd-0.2` profile: RAT as it runs today (rat-monitoring-current.md, matching ratd 0.2).

ratd serves a small hand-rolled metric set (process, pools, plugins, scheduler, SSE) and no
request metrics. `/health/ready` reports each configured dependency under `checks`; `/health`
and `/health/live` only say the process is up.
"""

from __future__ import annotations

from monitoring_as_code.catalog import COUNTER, GAUGE, RATD, Metric
from monitoring_as_code.profile import Profile
from monitoring_as_code.settings import Settings

RATD_0_2 = "ratd-0.2"

# /health/ready's `checks` keys -> the RAT compose service behind each. Only configured
# dependencies appear; Nessie has none (alerts/ready_checks.py probes it directly).
READY_CHECKS = {"postgres": "postgres", "s3": "minio", "runner": "runner", "query": "ratq"}


def _metric(name: str, kind: str, help_: str, labels: tuple[str, ...] = (), *, conditional: bool = False) -> Metric:
    return Metric(name, kind, RATD, help_, frozenset(labels), conditional=conditional)


# The guide's "Key Metrics". "Pool, heartbeat-pool, SSE, plugin, and scheduler metrics are only
# emitted when the corresponding subsystem is active": those are conditional.
RATD_METRICS = (
    _metric("ratd_info", GAUGE, "Build info; always 1", ("version", "git_commit", "go_version")),
    _metric("ratd_goroutines", GAUGE, "Number of goroutines"),
    _metric("ratd_memory_alloc_bytes", GAUGE, "Current heap allocation in bytes"),
    _metric("ratd_memory_sys_bytes", GAUGE, "Total memory obtained from the OS in bytes"),
    _metric("ratd_gc_completed_total", COUNTER, "Completed GC cycles"),
    _metric("ratd_sse_connections_active", GAUGE, "Active SSE connections (log streams)", conditional=True),
    _metric("ratd_postgres_pool_total", GAUGE, "Main Postgres pool size", conditional=True),
    _metric("ratd_postgres_pool_acquired", GAUGE, "In-use connections of the main pool", conditional=True),
    _metric("ratd_postgres_heartbeat_pool_total", GAUGE, "Heartbeat pool size", conditional=True),
    _metric("ratd_postgres_heartbeat_pool_acquired", GAUGE, "In-use heartbeat connections", conditional=True),
    _metric("ratd_plugins_total", GAUGE, "Registered plugins (any status)", conditional=True),
    _metric("ratd_plugins_healthy", GAUGE, "Plugins currently enabled", conditional=True),
    _metric("ratd_scheduler_last_tick_duration_seconds", GAUGE, "Duration of the last tick", conditional=True),
    # A gauge despite its name: what the latest tick dispatched, not a running count.
    _metric("ratd_scheduler_last_tick_dispatched_total", GAUGE, "Dispatched in the last tick", conditional=True),
)


def define(settings: Settings) -> list[Profile]:
    return [
        Profile(
            name=RATD_0_2,
            reference="rat-monitoring-current.md (RAT's monitoring guide rewritten for ratd 0.2)",
            description="Runtime, pool, plugin, scheduler and SSE gauges; /health/ready reports each dependency.",
            metrics=RATD_METRICS,
        )
    ]
