"""Lint rules for dashboards (after Grafana's dashboard-linter and mixtool), and the PromQL and
LogQL checks of every panel query, with Grafana's variables replaced by representative values."""

from __future__ import annotations

import re
from collections.abc import Iterator

from grafanalib import core

from monitoring_as_code.dashboard import (
    LOKI,
    PROMETHEUS,
    Dashboard,
    expanded_promql,
    grid_problem,
    panel_name,
    queries,
    unit_of,
    variable_references,
)
from monitoring_as_code.duration import format_duration, parse_duration
from monitoring_as_code.lint import rule
from monitoring_as_code.lint.context import LintContext
from monitoring_as_code.logging_policy import loki_stream_labels
from monitoring_as_code.promql import rate_windows

_STREAM_MATCHER = re.compile(r'([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*"')
# Stand-ins for the built-in variables a rate window may use: no one writes these windows by hand.
_FOLLOWING_WINDOWS = {"__rate_interval": "7777771s", "__range": "7777772s"}


def _datasource_variables(dashboard: Dashboard) -> dict[str, core.Template]:
    return {v.name: v for v in dashboard.variables if v.type == "datasource"}


@rule("dashboard-title", "A dashboard has a title and a description.", Dashboard)
def dashboard_title(dashboard: Dashboard, _: LintContext) -> Iterator[str]:
    for field in ("title", "description"):
        if not getattr(dashboard, field).strip():
            yield f"{field} is missing"


@rule("dashboard-datasource-variable", "Panels query through a datasource variable, never a fixed uid.", Dashboard)
def dashboard_datasource_variable(dashboard: Dashboard, _: LintContext) -> Iterator[str]:
    variables = _datasource_variables(dashboard)
    if not variables:
        yield "has no datasource variable"
    for panel in dashboard.panels:
        if not variable_references(panel.dataSource["uid"]) & set(variables):
            yield f"{panel_name(panel)}: queries the fixed uid {panel.dataSource['uid']!r}, not a datasource variable"


@rule("dashboard-datasource-provisioned", "Every datasource variable defaults to a provisioned uid.", Dashboard)
def dashboard_datasource_provisioned(dashboard: Dashboard, context: LintContext) -> Iterator[str]:
    sources = context.settings.grafana.datasources
    provisioned = {PROMETHEUS: sources.prometheus.uid, LOKI: sources.loki.uid}
    for variable in _datasource_variables(dashboard).values():
        if provisioned.get(variable.query) != variable.default:
            yield (
                f"variable {variable.name} defaults to {variable.default!r}, but the provisioned "
                f"{variable.query} datasource is {provisioned.get(variable.query)!r}"
            )


@rule("dashboard-grid", "Panels lie inside the 24 columns and do not overlap.", Dashboard)
def dashboard_grid(dashboard: Dashboard, _: LintContext) -> Iterator[str]:
    boxes = ((panel_name(p), p.gridPos.x, p.gridPos.y, p.gridPos.w, p.gridPos.h) for p in dashboard.panels)
    problem = grid_problem(boxes)
    if problem:
        yield problem


@rule("panel-title", "Every panel has a title and a description.", Dashboard)
def panel_title(dashboard: Dashboard, _: LintContext) -> Iterator[str]:
    for panel in dashboard.panels:
        for field in ("title", "description"):
            if not str(getattr(panel, field) or "").strip():
                yield f"{panel_name(panel)}: {field} is missing"


@rule("panel-unit", "Every panel states the unit of what it shows.", Dashboard)
def panel_unit(dashboard: Dashboard, _: LintContext) -> Iterator[str]:
    for panel in dashboard.panels:
        if not unit_of(panel).strip():
            yield f"{panel_name(panel)}: unit is missing (a Grafana unit id such as s, bytes, percentunit, none)"


@rule("panel-targets", "Every panel has at least one query.", Dashboard)
def panel_targets(dashboard: Dashboard, _: LintContext) -> Iterator[str]:
    for panel in dashboard.panels:
        if not panel.targets:
            yield f"{panel_name(panel)}: has no query"


@rule("panel-rate-interval", "Rate queries use $__rate_interval, which follows the scrape interval.", Dashboard)
def panel_rate_interval(dashboard: Dashboard, context: LintContext) -> Iterator[str]:
    following = {parse_duration(value) for value in _FOLLOWING_WINDOWS.values()}
    for panel, expr in expanded_promql(dashboard, context.settings, _FOLLOWING_WINDOWS):
        for _, window in rate_windows(expr):
            if window not in following:
                yield f"{panel_name(panel)}: rate window [{format_duration(window)}] is fixed; use [$__rate_interval]"


@rule("panel-loki-labels", "Log queries select streams by labels the logging policy sets.", Dashboard)
def panel_loki_labels(dashboard: Dashboard, context: LintContext) -> Iterator[str]:
    known = loki_stream_labels(context.settings.logging)
    for panel, expr in queries(dashboard, LOKI):
        selector = expr[expr.find("{") : expr.find("}") + 1]
        for label in _STREAM_MATCHER.findall(selector):
            if label not in known:
                yield f"{panel_name(panel)}: stream label {label!r} is not one of {sorted(known)}"


@rule("panel-loki-shipped", "A panel queries Loki only where container logs are shipped to it.", Dashboard)
def panel_loki_shipped(dashboard: Dashboard, context: LintContext) -> Iterator[str]:
    logging = context.settings.logging
    if logging.ships_to_loki:
        return
    for panel in dashboard.panels:
        if panel.dataSource["type"] == LOKI:
            yield (
                f"{panel_name(panel)}: queries Loki, but logging.driver {logging.driver!r} ships no log to "
                "Loki: it would be empty (use the loki driver, or leave the panel out)"
            )


def promql_findings(rule_id: str, dashboard: Dashboard, context: LintContext) -> Iterator[str]:
    """The PromQL analysis of every Prometheus query of the dashboard, for one rule id."""
    for panel, expr in expanded_promql(dashboard, context.settings):
        for finding in context.analysis(expr).findings:
            if finding.rule == rule_id:
                yield f"{panel_name(panel)}: {finding.message}"
