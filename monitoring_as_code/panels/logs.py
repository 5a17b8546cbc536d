"""Logs: one row per log line, newest first, as many as fit."""

from __future__ import annotations

from grafanalib import core

from monitoring_as_code.panels.grafana_json import PANEL, Json
from monitoring_as_code.panels.kind import PanelKind
from monitoring_as_code.panels.svg import Frame, Sample, fitted, no_data, text

NO_UNIT = "none"  # Grafana's unit id for values without one
ROW = 11  # px per log line


def render(panel: core.Logs) -> tuple[Json, Json]:
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


def draw(panel: core.Logs, frame: Frame, sample: Sample) -> str:
    lines = sample.lines[: int(frame.h // ROW)]
    if not lines:
        return no_data(frame)
    return "".join(
        text(frame.x + 2, frame.y + (i + 1) * ROW - 2, fitted(line, frame.w - 4, 9), cls="row")
        for i, line in enumerate(lines)
    )


KIND = PanelKind(
    cls=core.Logs,
    plugin="logs",
    translated=PANEL
    | {"showLabels", "showCommonLabels", "showTime", "wrapLogMessages", "sortOrder", "dedupStrategy"}
    | {"enableLogDetails", "prettifyLogMessage"},
    render=render,
    draw=draw,
    drawn=(),
    unit=lambda panel: NO_UNIT,
)
