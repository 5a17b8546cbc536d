"""Variables, selectors and query helpers the dashboards share. Job names and recording rules come
from alerts/, so a dashboard reads exactly what Prometheus scrapes and records."""

from __future__ import annotations

from typing import Any

from grafanalib import core

from alerts._shared import RATD_JOB
from monitoring_as_code.dashboard import LOKI, PROMETHEUS, datasource_variable, ref
from monitoring_as_code.settings import Settings

RAT_TAG = "rat"
# Every RAT dashboard links to the others (Grafana lists the dashboards carrying the tag).
RAT_DASHBOARDS = core.DashboardLink(title="RAT dashboards", type="dashboards", tags=[RAT_TAG], asDropdown=False)
# The Loki docker driver labels each stream with the container's compose service.
LOG_SERVICE = "compose_service"
# ratd's slog lines are JSON; `| json` turns their "level" field into a label.
RATD_ERROR_LOGS = f'{{{LOG_SERVICE}="ratd"}} |= "ERROR" | json | level="ERROR"'
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
