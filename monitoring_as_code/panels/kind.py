"""What every panel type module declares: one PanelKind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from monitoring_as_code.panels.grafana_json import Json
from monitoring_as_code.panels.svg import Frame, Sample

# (options, fieldConfig.defaults) of a panel's Grafana JSON, from the grafanalib object.
Render = Callable[[Any], tuple[Json, Json]]
# The SVG of a panel's content inside its frame, from the sample data drawn.
Draw = Callable[[Any, Frame, Sample], str]


@attrs.frozen
class PanelKind:
    """One Grafana panel type: its grafanalib class, plugin id, the attributes rendered (every
    other one must keep grafanalib's default), its unit, its JSON and its preview."""

    cls: type
    plugin: str
    translated: frozenset[str]
    render: Render
    draw: Draw
    unit: Callable[[Any], str] = lambda panel: str(panel.unit)
    has_thresholds: bool = False
    # Every attribute `draw` reads besides the unit (render/preview.py draws alike panels once).
    drawn: tuple[str, ...] = ()
