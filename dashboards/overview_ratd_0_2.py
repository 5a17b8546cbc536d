"""RAT overview (ratd-0.2 profile): the current guide's dashboard template (readiness, goroutines,
heap, Postgres pool, plugins, scheduler ticks, SSE connections, containers), plus the running RAT
version, the alerts firing now and ratd's errors from Loki."""

from __future__ import annotations

from grafanalib import core

from alerts.profile_ratd_0_2 import RATD_0_2
from dashboards._shared import (
    RAT_DASHBOARDS,
    RAT_TAG,
    RATD,
    container_cpu,
    container_memory,
    firing_alerts,
    instance_variable,
    loki_variable,
    prometheus_variable,
    query,
    ratd_errors,
    service_health,
)
from monitoring_as_code.dashboard import Dashboard, grid, ref
from monitoring_as_code.settings import Settings

PROFILES = (RATD_0_2,)


def define(settings: Settings) -> list[Dashboard]:
    t = settings.thresholds
    prometheus, loki = prometheus_variable(settings), loki_variable(settings)
    metrics, logs = ref(prometheus), ref(loki)

    readiness = service_health(
        1,
        metrics,
        "Service Readiness",
        "Each dependency ratd's /health/ready reports (postgres, s3, runner, query), ratd's liveness and "
        "readiness, and Nessie's own API, as the blackbox probes see them now. A dependency RAT does not "
        "configure has no check and stays green.",
    )
    goroutines = core.TimeSeries(
        id=4,
        title="Goroutines",
        description="ratd's goroutines. A floor that rises hour after hour is a leak (RatMemoryGrowth).",
        dataSource=metrics,
        targets=[query(f"ratd_goroutines{{{RATD}}}", "{{instance}}")],
        unit="short",
    )
    heap = core.TimeSeries(
        id=5,
        title="Heap Allocated",
        description=(
            "ratd's heap (a sawtooth as the garbage collector runs) and the memory it holds from the OS. "
            "A rising floor of the heap is a leak."
        ),
        dataSource=metrics,
        targets=[
            query(f"ratd_memory_alloc_bytes{{{RATD}}}", "heap {{instance}}"),
            query(f"ratd_memory_sys_bytes{{{RATD}}}", "from the OS {{instance}}", ref_id="B"),
        ],
        unit="bytes",
    )
    pool = core.GaugePanel(
        id=2,
        title="Postgres Pool Saturation",
        description=(
            "Connections of ratd's main Postgres pool in use now, against its cap DB_MAX_CONNS "
            f"({settings.ratd.db_max_conns}, ratd.db_max_conns in monitoring.yaml). Red from "
            f"{t.postgres_pool_saturation_ratio:.0%} (RatPostgresPoolSaturated). Empty while the pool is inactive."
        ),
        dataSource=metrics,
        targets=[
            query(
                f"max(ratd_postgres_pool_acquired{{{RATD}}}) / {settings.ratd.db_max_conns}",
                "pool in use",
                instant=True,
            )
        ],
        format="percentunit",
        calc="lastNotNull",
        min=0,
        max=1,
        thresholds=[
            core.Threshold("green", 0, 0.0),
            core.Threshold("red", 1, float(t.postgres_pool_saturation_ratio)),
        ],
    )
    plugins = core.Stat(
        id=3,
        title="Plugin Health",
        description="Plugins enabled (healthy) against plugins registered. Empty while no plugin is registered.",
        dataSource=metrics,
        targets=[
            query(f"sum(ratd_plugins_healthy{{{RATD}}})", "healthy", instant=True),
            query(f"sum(ratd_plugins_total{{{RATD}}})", "registered", ref_id="B", instant=True),
        ],
        format="short",
        reduceCalc="lastNotNull",
        colorMode="value",
        graphMode="none",
        textMode="value_and_name",
        noValue="no plugins",
    )
    tick = core.TimeSeries(
        id=6,
        title="Scheduler Tick Duration",
        description=(
            f"How long the scheduler's latest tick took; the line marks {t.scheduler_tick_seconds:g}s "
            "(RatSchedulerSlowTicks). Only the replica running the scheduler reports it."
        ),
        dataSource=metrics,
        targets=[query(f"ratd_scheduler_last_tick_duration_seconds{{{RATD}}}", "{{instance}}")],
        unit="s",
        thresholds=[core.Threshold("green", 0, 0.0), core.Threshold("red", 1, float(t.scheduler_tick_seconds))],
        thresholdsStyleMode="line",
    )
    version = core.Stat(
        id=12,
        title="RAT Version",
        description="The version and git commit each ratd reports (ratd_info). RAT's install compose pulls "
        "`:latest`, so this is where the running release shows.",
        dataSource=metrics,
        targets=[
            query(f"max by (version, git_commit) (ratd_info{{{RATD}}})", "{{version}} ({{git_commit}})", instant=True)
        ],
        format="none",
        reduceCalc="lastNotNull",
        colorMode="none",
        graphMode="none",
        textMode="name",
        noValue="ratd reports no version",
    )
    sse = core.TimeSeries(
        id=7,
        title="Active SSE Connections",
        description="Log streams (server-sent events) ratd holds open now.",
        dataSource=metrics,
        targets=[query(f"ratd_sse_connections_active{{{RATD}}}", "{{instance}}")],
        unit="short",
    )

    return [
        Dashboard(
            uid="rat-overview",
            title="RAT overview",
            description="Readiness, runtime, Postgres pool, plugins, scheduler and containers of RAT (ratd 0.2).",
            tags=[RAT_TAG],
            links=[RAT_DASHBOARDS],
            variables=[prometheus, loki, instance_variable(prometheus)],
            panels=grid(
                (6, [(9, readiness), (5, version), (5, pool), (5, plugins)]),
                (8, [(12, goroutines), (12, heap)]),
                (8, [(12, tick), (12, sse)]),
                (8, [(12, container_memory(8, metrics)), (12, container_cpu(9, metrics, settings))]),
                (8, [(24, firing_alerts(10, metrics))]),
                # Only where logs reach Loki: an empty panel by construction says nothing.
                *([(10, [(24, ratd_errors(11, logs, settings))])] if settings.logging.ships_to_loki else []),
            ),
        )
    ]
