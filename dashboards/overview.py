"""RAT overview (guide profile): the guide's dashboard template (health, runs, API, containers),
plus ratd's errors from Loki and the alerts firing now, on one page."""

from __future__ import annotations

from grafanalib import core

from alerts.profile_guide import GUIDE
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
from monitoring_as_code.dashboard import Dashboard, Heatmap, grid, ref
from monitoring_as_code.settings import Settings

PROFILES = (GUIDE,)

HEALTH_DESCRIPTION = (
    "ratd's liveness and readiness, and each subsystem its /health endpoint reports, as the "
    "blackbox probes see them now (one value per `check`)."
)


def define(settings: Settings) -> list[Dashboard]:
    prometheus, loki = prometheus_variable(settings), loki_variable(settings)
    metrics, logs = ref(prometheus), ref(loki)
    max_runs = settings.runner_max_concurrent
    rate = "[$__rate_interval]"

    active_runs = core.GaugePanel(
        id=2,
        title="Active Runs",
        description=(
            f"Pipeline runs executing now, out of RUNNER_MAX_CONCURRENT ({max_runs}). Amber from "
            f"{settings.thresholds.runner_queue_percent:g}% (the RatRunnerQueueFull threshold), red when full."
        ),
        dataSource=metrics,
        targets=[query(f"sum(ratd_active_runs{{{RATD}}})", "active runs", instant=True)],
        format="short",
        calc="lastNotNull",
        min=0,
        max=max_runs,
        thresholds=[
            core.Threshold("green", 0, 0.0),
            core.Threshold("orange", 1, max_runs * settings.thresholds.runner_queue_percent / 100),
            core.Threshold("red", 2, float(max_runs)),
        ],
    )
    run_success_rate = core.PieChartv2(
        id=3,
        title="Run Success Rate",
        description="Pipeline runs that finished in the dashboard's time range, by final status.",
        dataSource=metrics,
        targets=[
            query(
                f"sum by (status) (increase(ratd_pipeline_runs_total{{{RATD}}}[$__range]))", "{{status}}", instant=True
            )
        ],
        unit="short",
        pieType="donut",
        reduceOptionsCalcs=["lastNotNull"],
        legendDisplayMode="list",
        legendPlacement="right",
        legendValues=["percent"],
    )
    request_rate = core.TimeSeries(
        id=4,
        title="Request Rate",
        description="Requests per second ratd serves, stacked by HTTP status.",
        dataSource=metrics,
        targets=[query(f"sum by (status) (rate(ratd_http_requests_total{{{RATD}}}{rate}))", "{{status}}")],
        unit="reqps",
        stacking={"mode": "normal", "group": "A"},
        fillOpacity=20,
    )
    error_rate = core.TimeSeries(
        id=5,
        title="Error Rate",
        description="Share of ratd's requests answered with a 5xx status (0 while there are none).",
        dataSource=metrics,
        targets=[
            query(
                f'(sum(rate(ratd_http_requests_total{{{RATD},status=~"5.."}}{rate})) or vector(0))\n'
                f"/\nsum(rate(ratd_http_requests_total{{{RATD}}}{rate}))",
                "5xx share",
            )
        ],
        unit="percentunit",
        valueMin=0,
    )
    api_latency = Heatmap(
        id=6,
        title="API Latency",
        description="How long ratd takes to answer: requests per second in each latency bucket of its histogram.",
        dataSource=metrics,
        targets=[
            query(
                f"sum by (le) (rate(ratd_http_request_duration_seconds_bucket{{{RATD}}}{rate}))",
                "{{le}}",
                format="heatmap",
            )
        ],
        unit="reqps",
        yAxis=core.YAxis(format="s"),
        dataFormat="tsbuckets",
        yBucketBound="upper",
        hideZeroBuckets=True,
        legend={"show": True},
    )
    return [
        Dashboard(
            uid="rat-overview",
            title="RAT overview",
            description="Health, pipeline runs, API traffic and container usage of the RAT data platform.",
            tags=[RAT_TAG],
            links=[RAT_DASHBOARDS],
            variables=[prometheus, loki, instance_variable(prometheus)],
            panels=grid(
                (
                    6,
                    [
                        (12, service_health(1, metrics, "Service Health", HEALTH_DESCRIPTION)),
                        (6, active_runs),
                        (6, run_success_rate),
                    ],
                ),
                (8, [(12, request_rate), (12, error_rate)]),
                (8, [(12, api_latency), (12, firing_alerts(7, metrics))]),
                (8, [(12, container_memory(8, metrics)), (12, container_cpu(9, metrics, settings))]),
                # Only where logs reach Loki: an empty panel by construction says nothing.
                *([(10, [(24, ratd_errors(10, logs, settings))])] if settings.logging.ships_to_loki else []),
            ),
        )
    ]
