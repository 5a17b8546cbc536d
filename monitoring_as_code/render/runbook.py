"""docs/alerts.md: the guide's alert tables regenerated from the definitions, and one section
per alert, the target of its `runbook_url`."""

from __future__ import annotations

import re
from collections.abc import Mapping

import jinja2

from monitoring_as_code.duration import format_duration
from monitoring_as_code.loader import Definitions
from monitoring_as_code.model import SEVERITIES, Alert, Route
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
    hours = settings.business_hours
    when = (
        f"{', '.join(hours.weekdays)} {hours.start}-{hours.end} {hours.timezone} only"
        if route.active_time_intervals
        else "at any time"
    )
    wait = route.group_wait if route.group_wait is not None else settings.alertmanager.group_wait
    return f"{route.receiver}, {when}, after {format_duration(wait)}"


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


def render_runbook(defs: Definitions, settings: Settings) -> str:
    alerts = defs.alerts
    rows = [
        {
            "alert": alert,
            "anchor": runbook_anchor(alert.name),
            "routing": routing_text(alert, defs.routes, settings),
            "for": format_duration(alert.for_) if alert.for_ else "",
        }
        for alert in alerts
    ]
    return _ENV.get_template("alerts.md.j2").render(
        sections=[(_HEADINGS[s], [r for r in rows if r["alert"].severity == s]) for s in SEVERITIES],
        rows=rows,
        settings_file="monitoring.yaml",
    )
