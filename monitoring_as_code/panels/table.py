"""Table: a header, then one row per series: its name and its last value."""

from __future__ import annotations

from grafanalib import core

from monitoring_as_code.panels.grafana_json import PANEL, THRESHOLDS, Json, plain, thresholds
from monitoring_as_code.panels.kind import PanelKind
from monitoring_as_code.panels.svg import Frame, Sample, fitted, formatted, last_values, no_data, rect, text

ROW = 12  # px per table row


def render(panel: core.Table) -> tuple[Json, Json]:
    options = {
        "showHeader": panel.showHeader,
        "frameIndex": 0,
        "cellHeight": "sm",
        "sortBy": plain(panel.sortBy),
    }
    custom = {"align": panel.align, "inspect": False, "filterable": panel.filterable}
    defaults = {
        "color": {"mode": "thresholds"},
        "mappings": plain(panel.mappings),
        **thresholds(panel),
        "custom": custom,
    }
    return options, defaults


def draw(panel: core.Table, frame: Frame, sample: Sample) -> str:
    rows = last_values(sample)[: int(frame.h // ROW) - 1]
    if not rows:
        return no_data(frame)
    value_x = frame.x + frame.w - 4
    out = [rect(frame.x, frame.y, frame.w, ROW, "#22252b")] if panel.showHeader else []
    header = frame.y + ROW - 3
    out += [text(frame.x + 2, header, "series"), text(value_x, header, "value", anchor="end")]
    for i, (name, value) in enumerate(rows, start=1):
        y = frame.y + (i + 1) * ROW - 3
        out.append(text(frame.x + 2, y, fitted(name, frame.w - 64, 9), cls="row"))
        out.append(text(value_x, y, fitted(formatted(value, panel.unit), 56, 9), anchor="end"))
    return "".join(out)


KIND = PanelKind(
    cls=core.Table,
    plugin="table",
    translated=PANEL | THRESHOLDS | {"unit", "mappings", "overrides", "align", "filterable", "showHeader", "sortBy"},
    render=render,
    draw=draw,
    drawn=("showHeader", "thresholds"),
    has_thresholds=True,
)
