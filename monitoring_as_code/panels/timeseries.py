"""Time series: a line per series, on a y axis from the lowest to the highest value shown."""

from __future__ import annotations

from grafanalib import core

from monitoring_as_code.panels.grafana_json import HIDE_NOTHING, PANEL, THRESHOLDS, Json, optional, plain, thresholds
from monitoring_as_code.panels.kind import PanelKind
from monitoring_as_code.panels.svg import PALETTE, Frame, Sample, finite, fitted, formatted, no_data, polyline, text

MAX_LINES = 8  # more lines show only a tangle


def render(panel: core.TimeSeries) -> tuple[Json, Json]:
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
        **optional(axisSoftMin=panel.axisSoftMin, axisSoftMax=panel.axisSoftMax),
    }
    defaults = {
        "color": {"mode": panel.colorMode},
        "mappings": plain(panel.mappings),
        **thresholds(panel),
        **optional(min=panel.valueMin, max=panel.valueMax, decimals=panel.valueDecimals),
        "custom": custom,
    }
    return options, defaults


def draw(panel: core.TimeSeries, frame: Frame, sample: Sample) -> str:
    series = finite(sample)[:MAX_LINES]
    if not series:
        return no_data(frame)
    low = min(min(s.values) for s in series) if panel.valueMin is None else panel.valueMin
    high = max(max(s.values) for s in series) if panel.valueMax is None else panel.valueMax
    legend = 11  # px under the lines for the names
    plot = Frame(frame.x + 48, frame.y, frame.w - 48, frame.h - legend)
    out = [
        text(frame.x + 44, plot.y + 8, fitted(formatted(high, panel.unit), 44, 9), anchor="end"),
        text(frame.x + 44, plot.y + plot.h, fitted(formatted(low, panel.unit), 44, 9), anchor="end"),
    ]
    out += [polyline(s.values, plot, low, high, PALETTE[i]) for i, s in enumerate(series)]
    room = plot.w / len(series)
    out += [
        text(plot.x + i * room, frame.y + frame.h - 1, fitted(s.name, room - 4, 9), fill=PALETTE[i])
        for i, s in enumerate(series)
    ]
    return "".join(out)


KIND = PanelKind(
    cls=core.TimeSeries,
    plugin="timeseries",
    translated=PANEL
    | THRESHOLDS
    | {"unit", "mappings", "overrides", "colorMode", "valueMin", "valueMax", "valueDecimals"}
    | {"legendDisplayMode", "legendPlacement", "legendCalcs", "tooltipMode", "tooltipSort"}
    | {"drawStyle", "lineInterpolation", "lineWidth", "fillOpacity", "gradientMode", "showPoints", "pointSize"}
    | {"spanNulls", "stacking", "axisPlacement", "axisLabel", "axisSoftMin", "axisSoftMax", "thresholdsStyleMode"},
    render=render,
    draw=draw,
    drawn=("valueMin", "valueMax", "thresholds"),
    has_thresholds=True,
)
