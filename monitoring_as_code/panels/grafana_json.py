"""JSON helpers the panel types and the dashboard renderer share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]
HIDE_NOTHING = {"tooltip": False, "viz": False, "legend": False}
# The attributes of every panel, and of the ones with thresholds, render/grafana.py writes.
PANEL = frozenset({"dataSource", "targets", "title", "description", "gridPos", "id", "transformations", "extraJson"})
THRESHOLDS = frozenset({"thresholds", "thresholdType"})


def plain(value: Any) -> Any:
    """grafanalib objects as JSON data, without the nulls its to_json_data() leaves for unset keys."""
    if hasattr(value, "to_json_data"):
        return plain(value.to_json_data())
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def optional(**values: Any) -> Json:
    return {k: v for k, v in values.items() if v is not None}


def thresholds(panel: Any) -> Json:
    steps = list(panel.thresholds or ())
    if not steps:
        return {}
    # The base step's value is null: it means minus infinity.
    values = [{"color": t.color, "value": None if t.index == 0 else t.value} for t in steps]
    return {"thresholds": {"mode": panel.thresholdType, "steps": values}}


def reduce_options(calcs: list[str], fields: str, values: bool, limit: int | None = None) -> Json:
    return {"values": values, "calcs": calcs, "fields": fields, **optional(limit=limit)}
