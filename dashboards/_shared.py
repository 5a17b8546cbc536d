"""Variables, selectors and query helpers the dashboards share. Job names and recording rules come
from alerts/, so a dashboard reads exactly what Prometheus scrapes and records."""

from __future__ import annotations

import re
from typing import Any

import attrs
from grafanalib import core

from alerts._shared import PROBE_JOB, RATD_JOB, RATD_METRICS_PATH
from alerts.recording import CONTAINER_MEMORY
from alerts.recording import container_cpu as container_cpu_rate
from monitoring_as_code.dashboard import LOKI, PROMETHEUS, Dashboard, datasource_variable, ref
from monitoring_as_code.settings import Settings

RAT_TAG = "rat"
# Every RAT dashboard links to the others (Grafana lists the dashboards carrying the tag).
RAT_DASHBOARDS = core.DashboardLink(title="RAT dashboards", type="dashboards", tags=[RAT_TAG], asDropdown=False)
# The Loki docker driver labels each stream with the container's compose service.
LOG_SERVICE = "compose_service"
RATD_SERVICE = "ratd"  # ratd's compose service, as the Loki driver labels its stream
# The paths ratd's RequestLogger does not log (platform/internal/api/logging.go, healthPaths).
RATD_UNLOGGED_PATHS = frozenset({"/health", "/health/live"})


def ratd_own_requests(settings: Settings) -> str:
    """A label filter (after `| json`) that drops the request lines of our own requests to ratd:
    the probes' GETs of its readiness (and the guide's health) endpoint and Prometheus' scrape of
    /metrics. ratd logs each as {"msg":"request completed","method":"GET","path":...,"status":...}
    and a 5xx at ERROR (a readiness probe during any dependency outage); it logs no user agent, so
    the path tells them: anchored, as Loki's label matches are, so no other path is dropped (a
    user's own GET of these paths is dropped too, and says nothing the probes do not)."""
    health = settings.health
    paths = sorted({health.ready_path, health.path, RATD_METRICS_PATH} - RATD_UNLOGGED_PATHS)
    return f"| path!~`{'|'.join(re.escape(p) for p in paths)}`"


def ratd_error_logs(settings: Settings) -> str:
    """ratd's ERROR lines but our own requests' (ratd's slog lines are JSON; `| json` turns their
    "level" field into a label)."""
    return f'{{{LOG_SERVICE}="{RATD_SERVICE}"}} |= "ERROR" | json | level="ERROR" {ratd_own_requests(settings)}'


@attrs.frozen
class LogFormat:
    """How one kind of RAT's services writes its log lines, and the LogQL stage that reads a line's
    level into a `level` label (None: the line has no level field, only a level word)."""

    services: tuple[str, ...]
    level_stage: str | None
    why: str  # where the format comes from


# Every service of RAT by how it logs; a level filter reads each in its own format.
LOG_FORMATS = (
    LogFormat(("ratd",), "| json", 'Go slog JSON, upper-case levels: {"level":"ERROR"} (platform/cmd/ratd/main.go)'),
    LogFormat(
        ("runner",),
        "| json",
        'JSON, slog\'s level words lower-case: {"level":"error"} (runner/src/rat_runner/json_log.py)',
    ),
    LogFormat(
        ("ratq", "nessie"),
        r"| regexp `^\S+ \S+ (?P<level>[A-Z]+)\s`",
        "plain text, date time LEVEL [logger]: ratq's logging.basicConfig (query/src/rat_query/__main__.py); "
        "Nessie's Quarkus console format (assumed: its default)",
    ),
    LogFormat(("postgres",), "| regexp `(?P<level>[A-Z]+[0-9]?):  `", "Postgres: ... ERROR:  message"),
    LogFormat(("minio", "portal"), None, "no level field: an upper-case level word anywhere in the line"),
)
ALL = "$__all"


def prometheus_variable(settings: Settings) -> core.Template:
    return datasource_variable("prometheus", PROMETHEUS, settings.grafana.datasources.prometheus.uid, "Prometheus")


def loki_variable(settings: Settings) -> core.Template:
    return datasource_variable("loki", LOKI, settings.grafana.datasources.loki.uid, "Loki")


def instance_variable(prometheus: core.Template) -> core.Template:
    """ratd's scrape targets; "All" unless an operator narrows it down."""
    return core.Template(
        name="instance",
        label="ratd instance",
        type="query",
        dataSource=ref(prometheus),
        query=f'label_values(up{{job="{RATD_JOB}"}}, instance)',
        default=ALL,
        includeAll=True,
        multi=True,
        refresh=core.REFRESH_ON_TIME_RANGE_CHANGE,
    )


def custom_variable(name: str, label: str, values: tuple[str, ...], all_value: str | None = None) -> core.Template:
    """A multi-value variable over fixed values, "All" by default. "All" stands for the values
    joined as a regex, or for `all_value` when given."""
    return core.Template(
        name=name,
        label=label,
        type="custom",
        query=",".join(values),
        default=ALL,
        includeAll=True,
        multi=True,
        allValue=all_value,
    )


# ratd's series on the chosen instances.
RATD = f'job="{RATD_JOB}",instance=~"$instance"'


def query(expr: str, legend: str = "", ref_id: str = "A", **options: Any) -> core.Target:
    """A target; `options` are grafanalib Target attributes (instant, format ...)."""
    return core.Target(expr=expr, legendFormat=legend, refId=ref_id, **options)


# -- panels every overview shows -------------------------------------------------------------------
HEALTH_MAPPINGS = core.StatValueMappings(
    core.StatValueMappingItem("healthy", "1", "green"), core.StatValueMappingItem("unhealthy", "0", "red")
)


def service_health(panel_id: int, metrics: dict[str, str], title: str, description: str) -> core.Stat:
    """One tile per blackbox `check`, green while its probe succeeds."""
    return core.Stat(
        id=panel_id,
        title=title,
        description=description,
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


def firing_alerts(panel_id: int, metrics: dict[str, str]) -> core.Table:
    return core.Table(
        id=panel_id,
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


def container_memory(panel_id: int, metrics: dict[str, str]) -> core.TimeSeries:
    return core.TimeSeries(
        id=panel_id,
        title="Container Memory",
        description="Working set of each RAT container (cAdvisor), what the kernel weighs against the limit.",
        dataSource=metrics,
        targets=[query(CONTAINER_MEMORY, "{{service}}")],
        unit="bytes",
    )


def container_cpu(panel_id: int, metrics: dict[str, str], settings: Settings) -> core.TimeSeries:
    return core.TimeSeries(
        id=panel_id,
        title="Container CPU",
        description="CPU used by each RAT container (cAdvisor); 100% is one core, as `docker stats` shows it.",
        dataSource=metrics,
        targets=[query(container_cpu_rate(settings), "{{service}}")],
        unit="percentunit",
    )


def ratd_errors(panel_id: int, logs: dict[str, str], settings: Settings) -> core.Logs:
    return core.Logs(
        id=panel_id,
        title="ratd Errors",
        description=(
            "ratd's ERROR log lines (Loki), newest first, without the request lines of the monitoring's own "
            "requests (the probes' readiness GETs answer 503 at ERROR during a dependency outage; docs/logging.md)."
        ),
        dataSource=logs,
        targets=[query(ratd_error_logs(settings))],
        showTime=True,
        wrapLogMessages=True,
        enableLogDetails=True,
    )


def threshold_lines(*levels: tuple[str, float], base: str = "green") -> dict[str, object]:
    """A time series' thresholds drawn as lines: `base` below the first level, each level's color above it."""
    steps = [
        core.Threshold(base, 0, 0.0),
        *(core.Threshold(color, k + 1, float(v)) for k, (color, v) in enumerate(levels)),
    ]
    return {"thresholds": steps, "thresholdsStyleMode": "line"}


def state_stat(
    panel_id: int,
    title: str,
    description: str,
    metrics: dict[str, str],
    targets: list[core.Target],
    thresholds: list[core.Threshold],
    no_value: str,
) -> core.Stat:
    """A stat of a few instant values, each named, on a background colored by `thresholds`."""
    return core.Stat(
        id=panel_id,
        title=title,
        description=description,
        dataSource=metrics,
        targets=targets,
        format="none",
        reduceCalc="lastNotNull",
        thresholds=thresholds,
        colorMode="background",
        graphMode="none",
        textMode="value_and_name",
        noValue=no_value,
    )


def platform_dashboard(
    uid: str, title: str, description: str, prometheus: core.Template, panels: list[Any]
) -> Dashboard:
    """A dashboard of one platform service's own metrics, among RAT's, on the Prometheus datasource."""
    return Dashboard(
        uid=uid,
        title=title,
        description=description,
        tags=[RAT_TAG],
        links=[RAT_DASHBOARDS],
        variables=[prometheus],
        panels=panels,
    )
