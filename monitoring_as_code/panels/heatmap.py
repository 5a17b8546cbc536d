"""Heatmap: one row of cells per bucket series, each cell's opacity its share of the largest."""

from __future__ import annotations

import attr
from grafanalib import core

from monitoring_as_code.panels.grafana_json import HIDE_NOTHING, PANEL, Json, optional
from monitoring_as_code.panels.kind import PanelKind
from monitoring_as_code.panels.svg import Frame, Sample, finite, no_data, rect, thinned

# Legacy heatmap `yBucketBound` -> current `rowsFrame.layout`, as Grafana's own migration maps it.
_BUCKET_LAYOUT = {None: "auto", "auto": "auto", "upper": "le", "lower": "ge", "middle": "unknown"}
CELL = 8  # px: the narrowest cell drawn; finer steps show nothing more


@attr.s
class Heatmap(core.Heatmap):
    """grafanalib's heatmap plus the unit of its cells: grafanalib knows only the y axis' unit
    (`yAxis.format`); the current heatmap shows the cell unit in its tooltip and colour legend."""

    unit: str = attr.ib(default="", validator=attr.validators.instance_of(str))


def render(panel: Heatmap) -> tuple[Json, Json]:
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
            **optional(min=color.min, max=color.max),
        },
        "filterValues": {"le": 1e-9} if panel.hideZeroBuckets else {},
        "rowsFrame": {"layout": _BUCKET_LAYOUT[panel.yBucketBound]},
        "showValue": "never",
        "cellGap": 1,
        "yAxis": {
            "axisPlacement": "left",
            "unit": y_axis.format,
            "reverse": panel.reverseYBuckets,
            **optional(decimals=y_axis.decimals),
        },
        "legend": {"show": bool(panel.legend.get("show"))},
        "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "selectionMode": "x",
    }
    defaults = {"custom": {"hideFrom": HIDE_NOTHING, "scaleDistribution": {"type": "linear"}}}
    return options, defaults


def draw(panel: Heatmap, frame: Frame, sample: Sample) -> str:
    rows = [s.values for s in finite(sample)][: int(frame.h // 3)]
    if not rows:
        return no_data(frame)
    rows = [thinned(values, frame.w * 2 / CELL) for values in rows]  # 2 px a point there: CELL px a cell here
    top = max(max(values) for values in rows) or 1.0
    height = frame.h / len(rows)
    out = []
    for r, values in enumerate(rows):
        width = frame.w / len(values)
        y = frame.y + frame.h - (r + 1) * height
        out += [
            rect(frame.x + c * width, y, width - 1, height - 1, "#FF9830", f' opacity="{0.1 + 0.9 * v / top:.2f}"')
            for c, v in enumerate(values)
            if v > 0
        ]
    return "".join(out)


KIND = PanelKind(
    cls=Heatmap,
    plugin="heatmap",
    translated=PANEL
    | {"unit", "yAxis", "color", "dataFormat", "yBucketBound", "hideZeroBuckets", "reverseYBuckets", "legend"},
    render=render,
    draw=draw,
    drawn=(),
)
