"""Grafana dashboard JSON, schemaVersion 41, from the dashboard model.

grafanalib's to_json_data() writes schemaVersion 12 (rows, spans, nulls, legacy heatmap and gauge
keys). Here each supported panel class is translated attribute by attribute into the current panel
JSON, by its module in panels/ (this module writes what every panel and the dashboard share);
keys Grafana's schema requires that grafanalib has no attribute for get Grafana's defaults.
The model (dashboard.py) refuses any attribute not translated there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grafanalib import core

from monitoring_as_code.dashboard import LOKI, Dashboard, unit_of
from monitoring_as_code.panels.grafana_json import Json, optional, plain
from monitoring_as_code.panels.registry import KINDS
from monitoring_as_code.settings import Settings

SCHEMA_VERSION = 41
SHARED_CROSSHAIR = 1  # graphTooltip: hovering one time series marks the same time on all
_GRAFANA_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def grafana_interval(seconds: float) -> str:
    """A duration as Grafana's refresh picker writes it: one number, one unit ("30s", "5m")."""
    whole = round(seconds)
    if whole < 1 or whole != seconds:
        raise ValueError(f"{seconds}s is not a whole number of seconds")
    unit, size = next((u, s) for u, s in _GRAFANA_UNITS if whole % s == 0)
    return f"{whole // size}{unit}"


def _merged(base: Json, extra: Mapping[str, Any]) -> Json:
    """`base` with grafanalib's extraJson merged in, nested objects key by key (its own semantics)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = plain(value)
    return out


def _target(target: core.Target, datasource: Mapping[str, str]) -> Json:
    out: Json = {"refId": target.refId, "datasource": dict(datasource), "expr": target.expr, "editorMode": "code"}
    if datasource["type"] == LOKI:
        out["queryType"] = "instant" if target.instant else "range"
    else:
        out |= {"range": not target.instant, "instant": target.instant, "format": target.format}
        if target.interval:
            out["interval"] = target.interval
    if target.legendFormat:
        out["legendFormat"] = target.legendFormat
    if target.hide:
        out["hide"] = True
    return out


def render_panel(panel: Any) -> Json:
    kind = KINDS[type(panel)]
    options, defaults = kind.render(panel)
    pos = panel.gridPos
    out: Json = {
        "id": panel.id,
        "type": kind.plugin,
        "title": panel.title,
        "description": panel.description,
        "datasource": dict(panel.dataSource),
        "gridPos": {"x": pos.x, "y": pos.y, "w": pos.w, "h": pos.h},
        "targets": [_target(t, panel.dataSource) for t in panel.targets],
        "fieldConfig": {
            "defaults": {"unit": unit_of(panel), **defaults},
            "overrides": plain(getattr(panel, "overrides", [])),
        },
        "options": options,
    }
    if panel.transformations:
        out["transformations"] = plain(panel.transformations)
    return _merged(out, panel.extraJson or {})


def _current(template: core.Template) -> Json:
    if template.default == "$__all":
        text, value = "All", "$__all"
    else:
        text = value = template.default or ""
    if template.multi:
        return {"text": [text], "value": [value]}
    return {"text": text, "value": value}


def render_variable(template: core.Template) -> Json:
    out: Json = {
        "type": template.type,
        "name": template.name,
        "label": template.label or template.name,
        "query": template.query,
        "current": _current(template),
        "hide": template.hide,
        "refresh": template.refresh,
        "includeAll": template.includeAll,
        "multi": template.multi,
        "sort": template.sort,
    }
    if template.type == "query":
        out["datasource"] = dict(template.dataSource)
    if template.type == "custom":
        out["options"] = [{"text": o["text"], "value": o["value"], "selected": o["selected"]} for o in template.options]
    return out | optional(allValue=template.allValue, regex=template.regex)


def render_dashboard(dashboard: Dashboard, settings: Settings) -> Json:
    grafana = settings.grafana
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": list(dashboard.tags),
        "timezone": "browser",
        # Provisioned read-only (allowUiUpdates: false): changes go through dashboards/.
        "editable": False,
        "graphTooltip": SHARED_CROSSHAIR,
        "time": {"from": f"now-{grafana_interval(grafana.time_range)}", "to": "now"},
        "refresh": grafana_interval(grafana.refresh),
        "schemaVersion": SCHEMA_VERSION,
        "links": plain(list(dashboard.links)),
        "annotations": {"list": []},
        "templating": {"list": [render_variable(v) for v in dashboard.variables]},
        "panels": [render_panel(p) for p in dashboard.panels],
    }
