"""docs/alerts.md: the alert tables of RAT's monitoring guide regenerated from the definitions,
one section per alert (the target of its `runbook_url`), and the tables every other RAT profile
would give, so the two versions of the guide can be compared."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2

from monitoring_as_code.definitions import Definitions
from monitoring_as_code.duration import format_duration
from monitoring_as_code.model import SEVERITIES, Alert, RecordingRule, Route
from monitoring_as_code.preview_samples import Previews, ShowingPanels
from monitoring_as_code.promql import label_sources, metric_names
from monitoring_as_code.render.alertmanager import SILENT_RECEIVER
from monitoring_as_code.render.rules import runbook_anchor
from monitoring_as_code.settings import Settings

_MATCHER = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)"(.*)"$')
_HEADINGS = {
    "critical": "Critical (page immediately)",
    "warning": "Warning (investigate during business hours)",
    "info": "Informational (dashboard only)",
}


def _matches(matcher: str, labels: Mapping[str, str]) -> bool:
    match = _MATCHER.match(matcher)
    assert match, matcher  # the model checked the matcher syntax
    name, op, value = match.groups()
    actual = labels.get(name, "")
    if op in ("=", "!="):
        return (actual == value) == (op == "=")
    return bool(re.fullmatch(value, actual)) == (op == "=~")


def first_route(labels: Mapping[str, str], routes: tuple[Route, ...]) -> Route | None:
    """The route Alertmanager picks for these labels (routes are not `continue`)."""
    return next((r for r in routes if all(_matches(m, labels) for m in r.matchers)), None)


def routing_text(alert: Alert, routes: tuple[Route, ...], settings: Settings) -> str:
    route = first_route({"alertname": alert.name, **alert.static_labels}, routes)
    if route is None or route.receiver is None:
        return f"{SILENT_RECEIVER}: never notified, dashboard only"
    disabled = {r.name: r.disabled for r in settings.alertmanager.receivers if r.disabled}
    if route.receiver in disabled:
        return f"{SILENT_RECEIVER}: not sent, receiver {route.receiver} is disabled ({disabled[route.receiver]})"
    hours = settings.business_hours
    when = (
        f"{', '.join(hours.weekdays)} {hours.start}-{hours.end} {hours.timezone} only"
        if route.active_time_intervals
        else "at any time"
    )
    wait = route.group_wait if route.group_wait is not None else settings.alertmanager.group_wait
    return f"{route.receiver}, {when}, after {format_duration(wait)}"


def service_text(alert: Alert, recording_rules: Iterable[RecordingRule]) -> str:
    """The alert's service: its static label, or (service None) where each firing alert's own
    `service` label comes from: the labels that the expression, or the recording rules it reads,
    copy into it."""
    if alert.service is not None:
        return alert.service
    exprs = {rule.name: rule.expr for rule in recording_rules}
    sources, read = label_sources(alert.expr, "service"), metric_names(alert.expr)
    while not sources and any(name in exprs for name in read):  # down the recording rules read
        rules = [exprs.pop(name) for name in read if name in exprs]
        sources = [label for expr in rules for label in label_sources(expr, "service")]
        read = [name for expr in rules for name in metric_names(expr)]
    if not sources:
        return "from the alert's `service` label (the series the expression reads carry it)"
    labels = " or ".join(f"`{label}`" for label in dict.fromkeys(sources))
    return f"from the alert's `service` label (copied from the series label {labels})"


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("monitoring_as_code", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def table_cell(text: str) -> str:
    """Text as one Markdown table cell: a `|` would end the cell and a line break the row."""
    return " ".join(text.splitlines()).replace("|", "\\|")


_ENV.filters["cell"] = table_cell


def _dashboard_link(alert: Alert, showing: ShowingPanels | None, folder: str) -> str:
    """Markdown: the preview of the dashboard panel that shows the alert's series."""
    found = showing.of(alert) if showing else None
    if not found:
        return ""
    dashboard, panel = found
    return f"[{dashboard.title}, panel {panel.title!r}]({folder}/{dashboard.uid}.svg)"


def _rows(defs: Definitions, settings: Settings, previews: Previews | None = None) -> list[dict[str, Any]]:
    showing = ShowingPanels(previews.dashboards, defs.recording_rules) if previews else None
    folder = previews.folder if previews else ""
    return [
        {
            "dashboard": _dashboard_link(alert, showing, folder),
            "alert": alert,
            "anchor": runbook_anchor(alert.name),
            "routing": routing_text(alert, defs.routes, settings),
            "service": service_text(alert, defs.recording_rules),
            "for": format_duration(alert.for_) if alert.for_ else "",
        }
        for alert in defs.alerts
    ]


def _sections(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(_HEADINGS[s], [r for r in rows if r["alert"].severity == s]) for s in SEVERITIES]


def render_runbook(
    defs: Definitions, settings: Settings, others: Iterable[Definitions] = (), previews: Previews | None = None
) -> str:
    """`others`: the definitions as every other profile loads them (their tables only)."""
    rows = _rows(defs, settings, previews)
    return _ENV.get_template("alerts.md.j2").render(
        profile=defs.profile,
        sections=_sections(rows),
        rows=rows,
        others=[(other.profile, _sections(_rows(other, settings))) for other in others],
        settings_file="monitoring.yaml",
    )
