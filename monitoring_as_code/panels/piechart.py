"""Pie chart: one slice per series, its share of the last values."""

from __future__ import annotations

import math

from grafanalib import core

from monitoring_as_code.panels.grafana_json import HIDE_NOTHING, PANEL, Json, plain, reduce_options
from monitoring_as_code.panels.kind import PanelKind
from monitoring_as_code.panels.svg import PALETTE, Frame, Sample, finite, fitted, no_data, text


def render(panel: core.PieChartv2) -> tuple[Json, Json]:
    options = {
        "reduceOptions": reduce_options(panel.reduceOptionsCalcs, panel.reduceOptionsFields, panel.reduceOptionsValues),
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
        "mappings": plain(panel.mappings),
        "custom": {"hideFrom": HIDE_NOTHING},
    }
    return options, defaults


def draw(panel: core.PieChartv2, frame: Frame, sample: Sample) -> str:
    values = [(s.name, s.values[-1]) for s in finite(sample) if s.values[-1] > 0]
    total = sum(v for _, v in values)
    if not total:
        return no_data(frame)
    radius = min(frame.h, frame.w / 2) / 2 - 2
    cx, cy = frame.x + radius + 2, frame.y + frame.h / 2
    out, start = [], -math.pi / 2
    for i, (name, value) in enumerate(values):
        end = start + 2 * math.pi * value / total
        fill = PALETTE[i % len(PALETTE)]
        if len(values) == 1:
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{fill}"/>')
        else:
            large = 1 if end - start > math.pi else 0
            x1, y1 = cx + radius * math.cos(start), cy + radius * math.sin(start)
            x2, y2 = cx + radius * math.cos(end), cy + radius * math.sin(end)
            out.append(
                f'<path d="M{cx:.1f},{cy:.1f} L{x1:.1f},{y1:.1f} A{radius:.1f},{radius:.1f} 0 {large} 1 '
                f'{x2:.1f},{y2:.1f} Z" fill="{fill}"/>'
            )
        if 11 * (i + 1) < frame.h:  # the legend rows that fit
            label = fitted(f"{name} {value / total:.0%}", frame.x + frame.w - cx - radius - 8, 9)
            out.append(text(cx + radius + 8, frame.y + 10 + 11 * i, label, fill=fill))
        start = end
    if panel.pieType == "donut":
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius / 2:.1f}" fill="#181b1f"/>')
    return "".join(out)


KIND = PanelKind(
    cls=core.PieChartv2,
    plugin="piechart",
    translated=PANEL
    | {"unit", "mappings", "overrides", "colorMode", "pieType", "tooltipMode"}
    | {"reduceOptionsCalcs", "reduceOptionsFields", "reduceOptionsValues"}
    | {"legendDisplayMode", "legendPlacement", "legendValues"},
    render=render,
    draw=draw,
    drawn=("pieType",),
)
