"""Stat: one tile per series with its last value, coloured by the thresholds (or a value mapping)."""

from __future__ import annotations

from typing import Any

from grafanalib import core

from monitoring_as_code.panels.grafana_json import PANEL, THRESHOLDS, Json, optional, plain, reduce_options, thresholds
from monitoring_as_code.panels.kind import PanelKind
from monitoring_as_code.panels.svg import (
    TITLE_SIZE,
    Frame,
    Sample,
    colour,
    fitted,
    formatted,
    last_values,
    no_data,
    rect,
    step_colour,
    steps,
    text,
)


def render(panel: core.Stat) -> tuple[Json, Json]:
    options = {
        "reduceOptions": reduce_options([panel.reduceCalc], panel.fields, False),
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
        "mappings": plain(panel.mappings),
        **thresholds(panel),
        **optional(decimals=panel.decimals, noValue=no_value),
    }
    return options, defaults


def mapped(value: float, mappings: list[Any]) -> tuple[str, str] | None:
    """(text, colour) of the value mapping `value` matches, if one does."""
    for mapping in mappings:
        for item in getattr(mapping, "mappingItems", ()):
            if item.mapValue == f"{value:g}":
                return str(item.text), item.color
    return None


def tiles(panel: core.Stat | core.GaugePanel, frame: Frame, sample: Sample, mappings: list[Any]) -> str:
    """The last value of each series in a tile of its own, side by side (the stat and the gauge)."""
    values = last_values(sample)
    if not values:
        return no_data(frame)
    unit, thresholded = panel.format, steps(panel)
    width = frame.w / len(values)
    out = []
    for i, (name, value) in enumerate(values):
        shown = mapped(value, mappings)
        label, fill = shown if shown else (formatted(value, unit), step_colour(value, thresholded))
        x = frame.x + i * width
        out.append(rect(x + 1, frame.y, width - 2, frame.h, colour(fill), ' opacity="0.25"'))
        out.append(
            text(
                x + width / 2,
                frame.y + frame.h / 2,
                fitted(label, width - 4, TITLE_SIZE),
                TITLE_SIZE,
                colour(fill),
                anchor="middle",
                cls="value",
            )
        )
        out.append(text(x + width / 2, frame.y + frame.h - 4, fitted(name, width - 4, 9), anchor="middle"))
    return "".join(out)


def draw(panel: core.Stat, frame: Frame, sample: Sample) -> str:
    return tiles(panel, frame, sample, list(panel.mappings))


KIND = PanelKind(
    cls=core.Stat,
    plugin="stat",
    translated=PANEL
    | THRESHOLDS
    | {"format", "decimals", "mappings", "overrides", "noValue", "colorMode", "graphMode", "textMode"}
    | {"orientation", "alignment", "reduceCalc", "fields"},
    render=render,
    draw=draw,
    drawn=("format", "mappings", "thresholds"),
    unit=lambda panel: str(panel.format),
    has_thresholds=True,
)
