"""Grafana dashboard JSON, schemaVersion 41, from the dashboard model.

grafanalib's to_json_data() writes schemaVersion 12 (rows, spans, nulls, legacy heatmap and gauge
keys). Here each supported panel class is translated attribute by attribute into the current panel
JSON; keys Grafana's schema requires that grafanalib has no attribute for get Grafana's defaults.
The model (dashboard.py) refuses any attribute not translated here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from grafanalib import core

from monitoring_as_code.dashboard import LOKI, PANEL_TYPES, Dashboard, Heatmap, unit_of
from monitoring_as_code.settings import Settings

SCHEMA_VERSION = 41
SHARED_CROSSHAIR = 1  # graphTooltip: hovering one time series marks the same time on all
HIDE_NOTHING = {"tooltip": False, "viz": False, "legend": False}
# Legacy heatmap `yBucketBound` -> current `rowsFrame.layout`, as Grafana's own migration maps it.
_BUCKET_LAYOUT = {None: "auto", "auto": "auto", "upper": "le", "lower": "ge", "middle": "unknown"}
_GRAFANA_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))

Json = dict[str, Any]


def grafana_interval(seconds: float) -> str:
    """A duration as Grafana's refresh picker writes it: one number, one unit ("30s", "5m")."""
    whole = round(seconds)
    if whole < 1 or whole != seconds:
        raise ValueError(f"{seconds}s is not a whole number of seconds")
    unit, size = next((u, s) for u, s in _GRAFANA_UNITS if whole % s == 0)
    return f"{whole // size}{unit}"


def _plain(value: Any) -> Any:
    """grafanalib objects as JSON data, without the nulls its to_json_data() leaves for unset keys."""
    if hasattr(value, "to_json_data"):
        return _plain(value.to_json_data())
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _merged(base: Json, extra: Mapping[str, Any]) -> Json:
    """`base` with grafanalib's extraJson merged in, nested objects key by key (its own semantics)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = _plain(value)
    return out


def _optional(**values: Any) -> Json:
    return {k: v for k, v in values.items() if v is not None}


def _thresholds(panel: Any) -> Json:
    steps = list(panel.thresholds or ())
    if not steps:
        return {}
    # The base step's value is null: it means minus infinity.
    values = [{"color": t.color, "value": None if t.index == 0 else t.value} for t in steps]
    return {"thresholds": {"mode": panel.thresholdType, "steps": values}}


def _reduce(calcs: list[str], fields: str, values: bool, limit: int | None = None) -> Json:
    return {"values": values, "calcs": calcs, "fields": fields, **_optional(limit=limit)}


def _stat(panel: core.Stat) -> tuple[Json, Json]:
    options = {
        "reduceOptions": _reduce([panel.reduceCalc], panel.fields, False),
        "orientation": panel.orientation,
        "textMode": panel.textMode,
        "colorMode": panel.colorMode,
        "graphMode": panel.graphMode,
        "justifyMode": panel.alignment,
        "wideLayout": True,
        "showPercentChange": False,
        "percentChangeColorMode": "standard",
    }
    # grafanalib's noValue default is the literal text "none"; Grafana's own ("No data") reads better.
    no_value = None if panel.noValue == "none" else panel.noValue
    defaults = {
        "color": {"mode": "thresholds"},
        "mappings": _plain(panel.mappings),
        **_thresholds(panel),
        **_optional(decimals=panel.decimals, noValue=no_value),
    }
    return options, defaults


def _gauge(panel: core.GaugePanel) -> tuple[Json, Json]:
    options = {
        "reduceOptions": _reduce([panel.calc], "", panel.allValues, panel.limit),
        "orientation": "auto",
        "showThresholdLabels": panel.thresholdLabels,
        "showThresholdMarkers": panel.thresholdMarkers,
        "sizing": "auto",
        "minVizWidth": 75,
        "minVizHeight": 75,
    }
    defaults = {
        "color": {"mode": "thresholds"},
        "mappings": _plain(panel.valueMaps),
        **_thresholds(panel),
        **_optional(min=panel.min, max=panel.max, decimals=panel.decimals),
    }
    return options, defaults


def _piechart(panel: core.PieChartv2) -> tuple[Json, Json]:
    options = {
        "reduceOptions": _reduce(panel.reduceOptionsCalcs, panel.reduceOptionsFields, panel.reduceOptionsValues),
        "pieType": panel.pieType,
        "tooltip": {"mode": panel.tooltipMode, "sort": "none"},
        "legend": {
            "displayMode": panel.legendDisplayMode,
            "placement": panel.legendPlacement,
            "showLegend": panel.legendDisplayMode != "hidden",
            "values": list(panel.legendValues),
            "calcs": [],
        },
        "orientation": "auto",
    }
    defaults = {
        "color": {"mode": panel.colorMode},
        "mappings": _plain(panel.mappings),
        "custom": {"hideFrom": HIDE_NOTHING},
    }
    return options, defaults


def _heatmap(panel: Heatmap) -> tuple[Json, Json]:
    color, y_axis = panel.color, panel.yAxis
    options = {
        # grafanalib's "tsbuckets": the data are histogram buckets already (Prometheus format "heatmap").
        "calculate": panel.dataFormat != "tsbuckets",
        "color": {
            "mode": "opacity" if color.mode == "opacity" else "scheme",
            "scheme": color.colorScheme.removeprefix("interpolate"),
            "fill": color.cardColor,
            "scale": "linear" if color.colorScale == "linear" else "exponential",
            "exponent": color.exponent,
            "steps": 64,
            "reverse": False,
            **_optional(min=color.min, max=color.max),
        },
        "filterValues": {"le": 1e-9} if panel.hideZeroBuckets else {},
        "rowsFrame": {"layout": _BUCKET_LAYOUT[panel.yBucketBound]},
        "showValue": "never",
        "cellGap": 1,
        "yAxis": {
            "axisPlacement": "left",
            "unit": y_axis.format,
            "reverse": panel.reverseYBuckets,
            **_optional(decimals=y_axis.decimals),
        },
        "legend": {"show": bool(panel.legend.get("show"))},
        "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "selectionMode": "x",
    }
    defaults = {"custom": {"hideFrom": HIDE_NOTHING, "scaleDistribution": {"type": "linear"}}}
    return options, defaults


def _timeseries(panel: core.TimeSeries) -> tuple[Json, Json]:
    options = {
        "legend": {
            "displayMode": panel.legendDisplayMode,
            "placement": panel.legendPlacement,
            "showLegend": panel.legendDisplayMode != "hidden",
            "calcs": list(panel.legendCalcs),
        },
        "tooltip": {"mode": panel.tooltipMode, "sort": panel.tooltipSort},
    }
    custom = {
        "drawStyle": panel.drawStyle,
        "lineInterpolation": panel.lineInterpolation,
        "lineWidth": panel.lineWidth,
        "fillOpacity": panel.fillOpacity,
        "gradientMode": panel.gradientMode,
        "showPoints": panel.showPoints,
        "pointSize": panel.pointSize,
        "spanNulls": panel.spanNulls,
        "stacking": panel.stacking or {"mode": "none", "group": "A"},
        "axisPlacement": panel.axisPlacement,
        "axisLabel": panel.axisLabel,
        "scaleDistribution": {"type": "linear"},
        "thresholdsStyle": {"mode": panel.thresholdsStyleMode},
        "hideFrom": HIDE_NOTHING,
        **_optional(axisSoftMin=panel.axisSoftMin, axisSoftMax=panel.axisSoftMax),
    }
    defaults = {
        "color": {"mode": panel.colorMode},
        "mappings": _plain(panel.mappings),
        **_thresholds(panel),
        **_optional(min=panel.valueMin, max=panel.valueMax, decimals=panel.valueDecimals),
        "custom": custom,
    }
    return options, defaults


def _logs(panel: core.Logs) -> tuple[Json, Json]:
    options = {
        "showTime": panel.showTime,
        "showLabels": panel.showLabels,
        "showCommonLabels": panel.showCommonLabels,
        "showLogContextToggle": True,
        "wrapLogMessage": panel.wrapLogMessages,
        "prettifyLogMessage": panel.prettifyLogMessage,
        "enableLogDetails": panel.enableLogDetails,
        "sortOrder": panel.sortOrder,
        "dedupStrategy": panel.dedupStrategy,
    }
    return options, {}


def _table(panel: core.Table) -> tuple[Json, Json]:
    options = {
        "showHeader": panel.showHeader,
        "frameIndex": 0,
        "cellHeight": "sm",
        "sortBy": _plain(panel.sortBy),
    }
    custom = {"align": panel.align, "inspect": False, "filterable": panel.filterable}
    defaults = {
        "color": {"mode": "thresholds"},
        "mappings": _plain(panel.mappings),
        **_thresholds(panel),
        "custom": custom,
    }
    return options, defaults


_PANELS: Mapping[type, Callable[[Any], tuple[Json, Json]]] = {
    core.Stat: _stat,
    core.GaugePanel: _gauge,
    core.PieChartv2: _piechart,
    Heatmap: _heatmap,
    core.TimeSeries: _timeseries,
    core.Logs: _logs,
    core.Table: _table,
}


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
    options, defaults = _PANELS[type(panel)](panel)
    pos = panel.gridPos
    out: Json = {
        "id": panel.id,
        "type": PANEL_TYPES[type(panel)],
        "title": panel.title,
        "description": panel.description,
        "datasource": dict(panel.dataSource),
        "gridPos": {"x": pos.x, "y": pos.y, "w": pos.w, "h": pos.h},
        "targets": [_target(t, panel.dataSource) for t in panel.targets],
        "fieldConfig": {
            "defaults": {"unit": unit_of(panel), **defaults},
            "overrides": _plain(getattr(panel, "overrides", [])),
        },
        "options": options,
    }
    if panel.transformations:
        out["transformations"] = _plain(panel.transformations)
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
    return out | _optional(allValue=template.allValue, regex=template.regex)


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
        "links": _plain(list(dashboard.links)),
        "annotations": {"list": []},
        "templating": {"list": [render_variable(v) for v in dashboard.variables]},
        "panels": [render_panel(p) for p in dashboard.panels],
    }
