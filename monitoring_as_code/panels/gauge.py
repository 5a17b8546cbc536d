"""Gauge: the last value of each series as a bar from min to max, coloured by the thresholds."""

from __future__ import annotations

import math

from grafanalib import core

from monitoring_as_code.panels.grafana_json import PANEL, THRESHOLDS, Json, optional, plain, reduce_options, thresholds
from monitoring_as_code.panels.kind import PanelKind
from monitoring_as_code.panels.stat import tiles
from monitoring_as_code.panels.svg import Frame, Sample, last_values, rect, step_colour, steps


def render(panel: core.GaugePanel) -> tuple[Json, Json]:
    options = {
        "reduceOptions": reduce_options([panel.calc], "", panel.allValues, panel.limit),
        "orientation": "auto",
        "showThresholdLabels": panel.thresholdLabels,
        "showThresholdMarkers": panel.thresholdMarkers,
        "sizing": "auto",
        "minVizWidth": 75,
        "minVizHeight": 75,
    }
    defaults = {
        "color": {"mode": "thresholds"},
        "mappings": plain(panel.valueMaps),
        **thresholds(panel),
        **optional(min=panel.min, max=panel.max, decimals=panel.decimals),
    }
    return options, defaults


def draw(panel: core.GaugePanel, frame: Frame, sample: Sample) -> str:
    values = last_values(sample)
    out = tiles(panel, frame, sample, list(panel.valueMaps))
    low = panel.min if panel.min is not None else 0.0
    high = panel.max if panel.max is not None else max([v for _, v in values if math.isfinite(v)] + [low + 1])
    width = frame.w / max(len(values), 1)
    for i, (_, value) in enumerate(values):
        share = min(max((value - low) / ((high - low) or 1), 0.0), 1.0)
        x, y = frame.x + i * width + 4, frame.y + 4
        fill = step_colour(value, steps(panel))
        out += rect(x, y, width - 8, 6, "#333333") + rect(x, y, (width - 8) * share, 6, fill)
    return out


KIND = PanelKind(
    cls=core.GaugePanel,
    plugin="gauge",
    translated=PANEL
    | THRESHOLDS
    | {"format", "decimals", "min", "max", "valueMaps", "calc", "allValues", "limit"}
    | {"thresholdLabels", "thresholdMarkers"},
    render=render,
    draw=draw,
    drawn=("format", "min", "max", "valueMaps", "thresholds"),
    unit=lambda panel: str(panel.format),
    has_thresholds=True,
)
