"""The drawing the panel previews share: plain string building (no objects per point), in a
monospace font whose glyphs are 0.6 em wide, so that the width of a text is known without a
browser. Geometry follows Grafana's grid: 24 columns, rows of 30 px."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import attrs

COLUMN = 50  # px per grid column: the picture is 1200 px wide
ROW = 30  # px per grid row, Grafana's GRID_CELL_HEIGHT
GAP = 4  # px between neighbouring frames (Grafana's margin is 8: half each side would touch)
FONT = "DejaVu Sans Mono, monospace"
MAX_POINTS = 150  # per line: a 4 px step across the widest panel
GLYPH = 0.6  # width of a monospace glyph, in em
TITLE_SIZE, SMALL_SIZE = 12, 9
TEXT = "#CCCCDC"  # the colour of a text that names none; it and SMALL_SIZE are the picture's own (inherited)
TOP = 40  # px above the grid: the dashboard's title
HEADER = 34  # px of a frame above its content: the title line and the type/unit line
# Grafana's named colours (its classic palette), for the threshold steps and mappings.
COLOURS = {
    "green": "#73BF69",
    "red": "#F2495C",
    "orange": "#FF9830",
    "yellow": "#FADE2A",
    "blue": "#5794F2",
    "purple": "#B877D9",
    "transparent": "#FFFFFF",
    "text": TEXT,
}
PALETTE = ("#73BF69", "#FADE2A", "#5794F2", "#FF9830", "#F2495C", "#B877D9", "#8AB8FF", "#CA95E5")


@attrs.frozen
class Frame:
    """The content area of a panel, in px of the picture."""

    x: float
    y: float
    w: float
    h: float


@attrs.frozen(cache_hash=True)  # samples are keys of the drawing caches
class Series:
    name: str
    values: tuple[float, ...]  # oldest first, evenly spaced; no gaps


@attrs.frozen(cache_hash=True)
class Sample:
    """What a panel's preview draws: series (time series, values), or log lines."""

    series: tuple[Series, ...] = ()
    lines: tuple[str, ...] = ()
    source: str = ""  # what the data is, for the picture's legend


def grid_box(x: int, y: int, w: int, h: int) -> tuple[float, float, float, float]:
    """(x, y, w, h) in px of the frame of a panel at this gridPos: its cells, less half a gap each side."""
    return (x * COLUMN + GAP / 2, TOP + y * ROW + GAP / 2, w * COLUMN - GAP, h * ROW - GAP)


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_ESCAPED = re.compile('[&<>"]')
# A line's points by (values, low, high): dashboards repeat their panels' queries.
_POINTS: dict[tuple[tuple[float, ...], float, float], str] = {}
_POINTS_KEPT = 4096


def escape(text: str) -> str:
    # Most texts have nothing to escape, and searching costs a tenth of translating.
    return text.translate(_ESCAPES) if _ESCAPED.search(text) else text


def colour(name: str) -> str:
    return COLOURS.get(name, name if name.startswith("#") else COLOURS["text"])


def fitted(text: str, width: float, size: float) -> str:
    """`text` cut to what fits `width` px at font `size` (an ellipsis marks the cut)."""
    room = int(width // (size * GLYPH))
    if len(text) <= room:
        return text
    return text[: max(room - 1, 0)] + "…" if room > 0 else ""


def steps(panel: object) -> list[tuple[str, float]]:
    """A panel's threshold steps as (colour, from value), the base first."""
    return [(t.color, t.value) for t in getattr(panel, "thresholds", None) or ()]


def finite(sample: Sample) -> list[Series]:
    """The series with their finite values only (a line or a share cannot be drawn at infinity)."""
    kept = (
        s if all(map(math.isfinite, s.values)) else Series(s.name, tuple(filter(math.isfinite, s.values)))
        for s in sample.series
    )
    return [s for s in kept if s.values]


def last_values(sample: Sample) -> list[tuple[str, float]]:
    return [(s.name, s.values[-1]) for s in sample.series if s.values]


def text(
    x: float, y: float, content: str, size: float = SMALL_SIZE, fill: str = TEXT, anchor: str = "", cls: str = ""
) -> str:
    """A text; its size and colour are written only where they are not the picture's own (most
    texts of a preview are small and plain, and every attribute is bytes to write and to parse)."""
    own = (f' font-size="{size:g}"' if size != SMALL_SIZE else "") + (f' fill="{fill}"' if fill != TEXT else "")
    extra = (f' text-anchor="{anchor}"' if anchor else "") + (f' class="{cls}"' if cls else "")
    return f'<text x="{x:g}" y="{y:g}"{own}{extra}>{escape(content)}</text>'


def rect(x: float, y: float, w: float, h: float, fill: str, extra: str = "") -> str:
    """`extra`: more attributes, as written (' opacity="0.5"')."""
    return f'<rect x="{x:g}" y="{y:g}" width="{max(w, 0):g}" height="{max(h, 0):g}" fill="{fill}"{extra}/>'


def no_data(frame: Frame) -> str:
    return text(frame.x + frame.w / 2, frame.y + frame.h / 2, "No data", anchor="middle", cls="no-data")


def thinned(values: Sequence[float], width: float) -> Sequence[float]:
    """At most one point per 4 px of `width` (and MAX_POINTS): a preview's line shows no more."""
    most = min(max(int(width // 4), 2), MAX_POINTS)
    if len(values) <= most:
        return values
    step = len(values) / most
    return [values[int(i * step)] for i in range(most)] + [values[-1]]


def polyline(values: Sequence[float], frame: Frame, low: float, high: float, stroke: str) -> str:
    """A line through `values` across the frame. Its points are the values' indexes and their
    height in thousandths of the range (short integers), placed by a transform: identical lines
    in panels of another size or place share their points, made once."""
    shown = tuple(thinned(values, frame.w))
    key = (shown, low, high)
    points = _POINTS.get(key)
    if points is None:
        span = (high - low) or 1.0
        points = " ".join([f"{i},{round((v - low) / span * 1000)}" for i, v in enumerate(shown)])
        if len(_POINTS) < _POINTS_KEPT:
            _POINTS[key] = points
    dx = frame.w / max(len(shown) - 1, 1)
    return (
        f'<polyline transform="translate({frame.x:g} {frame.y + frame.h:g}) scale({dx:.4g} {-frame.h / 1000:.4g})" '
        f'points="{points}" fill="none" stroke="{stroke}" stroke-width="1.5" vector-effect="non-scaling-stroke"/>'
    )


_SCALES = {
    "bytes": (1024, ("B", "KiB", "MiB", "GiB", "TiB")),
    "decbytes": (1000, ("B", "kB", "MB", "GB", "TB")),
    "short": (1000, ("", "K", "Mil", "Bil", "Tri")),
}
_SUFFIX = {"reqps": " req/s", "ops": " ops/s", "s": " s", "ms": " ms", "percent": "%", "none": ""}


def formatted(value: float, unit: str) -> str:
    """A value as Grafana would show it in this unit, roughly: three significant digits."""
    if not math.isfinite(value):
        return str(value)
    if unit == "percentunit":
        return f"{value * 100:.3g}%"
    if unit in _SCALES:
        base, names = _SCALES[unit]
        power = 0
        while abs(value) >= base and power < len(names) - 1:
            value /= base
            power += 1
        return f"{value:.3g}{(' ' if unit != 'short' else '') + names[power] if names[power] else ''}"
    return f"{value:.3g}{_SUFFIX.get(unit, f' {unit}' if unit else '')}"


def step_colour(value: float, steps: Sequence[tuple[str, float]]) -> str:
    """The colour of the threshold step `value` falls in (steps ascending; the first is the base)."""
    chosen = steps[0][0] if steps else "text"
    for name, bound in steps[1:]:
        if value >= bound:
            chosen = name
    return colour(chosen)
