"""RAT overview: the guide's dashboard template (health, runs, API, containers), plus ratd's
errors from Loki and the alerts firing now, on one page."""

from __future__ import annotations

from grafanalib import core

from alerts._shared import PROBE_JOB
from alerts.recording import CONTAINER_MEMORY, container_cpu
from dashboards._shared import (
    RAT_DASHBOARDS,
    RAT_TAG,
    RATD,
    RATD_ERROR_LOGS,
    instance_variable,
    loki_variable,
    prometheus_variable,
    query,
)
from monitoring_as_code.dashboard import Dashboard, Heatmap, grid, ref
from monitoring_as_code.settings import Settings

HEALTH_MAPPINGS = core.StatValueMappings(
    core.StatValueMappingItem("healthy", "1", "green"), core.StatValueMappingItem("unhealthy", "0", "red")
)


def define(settings: Settings) -> list[Dashboard]:
    prometheus, loki = prometheus_variable(settings), loki_variable(settings)
    metrics, logs = ref(prometheus), ref(loki)
    max_runs = settings.runner_max_concurrent
    rate = "[$__rate_interval]"

    service_health = core.Stat(
        id=1,
        title="Service Health",
        description=(
            "ratd's liveness and readiness, and each subsystem its /health endpoint reports, as the "
            "blackbox probes see them now (one value per `check`)."
        ),
        dataSource=metrics,
        targets=[query(f'min by (check) (probe_success{{job="{PROBE_JOB}"}})', "{{check}}", instant=True)],
        format="none",
        reduceCalc="lastNotNull",
        mappings=[HEALTH_MAPPINGS],
        thresholds=[core.Threshold("red", 0, 0.0), core.Threshold("green", 1, 1.0)],
        colorMode="background",
        graphMode="none",
        textMode="value_and_name",
        noValue="no probe data",
    )
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
    firing_alerts = core.Table(
        id=7,
        title="Firing Alerts",
        description="Alerts firing now (without the always-firing Watchdog), with how many series fire each.",
        dataSource=metrics,
        targets=[
            query(
                'count by (alertname, severity, service) (ALERTS{alertstate="firing",alertname!="Watchdog"})',
                instant=True,
                format="table",
            )
        ],
        unit="short",
        transformations=[
            {
                "id": "organize",
                "options": {
                    "excludeByName": {"Time": True},
                    "indexByName": {"severity": 0, "alertname": 1, "service": 2, "Value": 3},
                    "renameByName": {"Value": "series"},
                },
            }
        ],
        sortBy=[core.TableSortByField("severity")],
    )
    container_memory = core.TimeSeries(
        id=8,
        title="Container Memory",
        description="Working set of each RAT container (cAdvisor), what the kernel weighs against the limit.",
        dataSource=metrics,
        targets=[query(CONTAINER_MEMORY, "{{service}}")],
        unit="bytes",
    )
    container_cpu_panel = core.TimeSeries(
        id=9,
        title="Container CPU",
        description="CPU used by each RAT container (cAdvisor); 100% is one core, as `docker stats` shows it.",
        dataSource=metrics,
        targets=[query(container_cpu(settings), "{{service}}")],
        unit="percentunit",
    )
    ratd_errors = core.Logs(
        id=10,
        title="ratd Errors",
        description="ratd's ERROR log lines (Loki), newest first.",
        dataSource=logs,
        targets=[query(RATD_ERROR_LOGS)],
        showTime=True,
        wrapLogMessages=True,
        enableLogDetails=True,
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
                (6, [(12, service_health), (6, active_runs), (6, run_success_rate)]),
                (8, [(12, request_rate), (12, error_rate)]),
                (8, [(12, api_latency), (12, firing_alerts)]),
                (8, [(12, container_memory), (12, container_cpu_panel)]),
                # Only where logs reach Loki: an empty panel by construction says nothing.
                *([(10, [(24, ratd_errors)])] if settings.deployment.logging.ships_to_loki else []),
            ),
        )
    ]
