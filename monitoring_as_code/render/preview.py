"""A dashboard's preview: one deterministic SVG on Grafana's 24-column grid, each panel's frame at
its gridPos with its title, type, unit, threshold steps and content (drawn by its panel type's
module from the sample given), and a legend saying what the data is.

Each panel is one `<g class="panel" data-panel-id=... data-title=...>`: `mac diff` and the browser
test find panels by it. Pure: model and samples in, SVG text out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitoring_as_code.dashboard import Dashboard, unit_of
from monitoring_as_code.panels.kind import PanelKind
from monitoring_as_code.panels.registry import KINDS
from monitoring_as_code.panels.svg import (
    COLUMN,
    FONT,
    GLYPH,
    HEADER,
    ROW,
    SMALL_SIZE,
    TEXT,
    TITLE_SIZE,
    TOP,
    Frame,
    Sample,
    colour,
    escape,
    fitted,
    formatted,
    grid_box,
    rect,
    steps,
    text,
)

WIDTH = 24 * COLUMN
_INSIDE: dict[tuple[Any, ...], str] = {}  # what _inside drew, by what it depends on
_INSIDE_KEPT = 16_384
LEGEND_LINE = 12
BACKGROUND, PANEL_FILL, PANEL_STROKE = "#111217", "#181b1f", "#2c3235"


def _threshold_steps(panel: Any, right: float, y: float, room: float) -> str:
    """The threshold steps as coloured swatches with the value each starts at, right-aligned."""
    out, x = [], right
    for index, (name, value) in reversed(list(enumerate(steps(panel)))):
        label = formatted(value, unit_of(panel)) if index else "base"
        width = 10 + len(label) * SMALL_SIZE * GLYPH + 4
        if right - x + width > room:
            break
        x -= width
        out.append(rect(x, y - 7, 8, 8, colour(name)) + text(x + 10, y, label))
    return f'<g class="thresholds">{"".join(out)}</g>' if out else ""


def _inside(panel: Any, kind: PanelKind, w: float, h: float, sample: Sample) -> str:
    """What a panel shows below its title, drawn from its frame's top left corner: its type and
    unit, threshold steps and content. It depends on the panel's size, sample and drawn attributes
    only, so panels alike (dashboards repeat them) are drawn once per run."""
    key = (kind.plugin, w, h, sample, unit_of(panel), *(repr(getattr(panel, a)) for a in kind.drawn))
    inside = _INSIDE.get(key)
    if inside is None:
        subtitle = fitted(f"{kind.plugin} · {unit_of(panel)}", w / 2 - 6, SMALL_SIZE)
        content = Frame(4, HEADER, w - 8, h - HEADER - 4)
        inside = (
            text(6, 28, subtitle, cls="kind")
            + _threshold_steps(panel, w - 6, 28, w / 2 - 6)
            + f'<g class="content">{kind.draw(panel, content, sample) if content.h > 4 else ""}</g>'
        )
        if len(_INSIDE) < _INSIDE_KEPT:
            _INSIDE[key] = inside
    return inside


def _panel(panel: Any, sample: Sample) -> str:
    kind = KINDS[type(panel)]
    pos = panel.gridPos
    x, y, w, h = grid_box(pos.x, pos.y, pos.w, pos.h)
    return (
        f'<g class="panel" data-panel-id="{panel.id}" data-title="{escape(panel.title)}" data-type="{kind.plugin}">'
        + rect(x, y, w, h, PANEL_FILL, f' stroke="{PANEL_STROKE}" class="frame"')
        + text(x + 6, y + 15, fitted(panel.title, w - 12, TITLE_SIZE), TITLE_SIZE, "#D8D9DA", cls="title")
        + f'<g transform="translate({x:g} {y:g})">{_inside(panel, kind, w, h, sample)}</g>'
        + "</g>"
    )


def _legend(dashboard: Dashboard, samples: Mapping[int, Sample], source: str, y: float) -> list[str]:
    panels: dict[str, list[str]] = {}
    for panel in dashboard.panels:
        sample = samples[panel.id]
        what = sample.source or ("" if sample.series or sample.lines else "no data for this panel")
        if what:
            panels.setdefault(what, []).append(str(panel.id))
    lines = [f"Data: {source}"] + [f"panel {', '.join(ids)}: {what}" for what, ids in panels.items()]
    room = WIDTH - 16
    return [
        text(8, y + (i + 1) * LEGEND_LINE, fitted(line, room, SMALL_SIZE), cls="legend") for i, line in enumerate(lines)
    ]


def render_preview(dashboard: Dashboard, samples: Mapping[int, Sample], source: str) -> str:
    """The SVG of `dashboard` drawing `samples` (panel id -> sample); `source` says in the legend
    what the data is."""
    bottom = TOP + max(p.gridPos.y + p.gridPos.h for p in dashboard.panels) * ROW
    legend = _legend(dashboard, samples, source, bottom + 4)
    height = bottom + 4 + (len(legend) + 1) * LEGEND_LINE
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:g}" '
        f'viewBox="0 0 {WIDTH} {height:g}" font-family="{FONT}" font-size="{SMALL_SIZE}" fill="{TEXT}" '
        f'data-dashboard-uid="{escape(dashboard.uid)}">\n'
        + rect(0, 0, WIDTH, height, BACKGROUND)
        + "\n"
        + text(8, 24, fitted(dashboard.title, WIDTH - 16, 16), 16, "#D8D9DA", cls="dashboard-title")
        + "\n"
        + "\n".join(_panel(panel, samples[panel.id]) for panel in dashboard.panels)
        + "\n"
        + "\n".join(legend)
        + "\n</svg>\n"
    )
