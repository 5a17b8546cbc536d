"""The dashboard previews, parsed back: well-formed SVG, one per dashboard, one frame per panel
with the panel's id and title, at the place its gridPos gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.panels.svg import grid_box

SVG = "{http://www.w3.org/2000/svg}"


def panel_groups(svg: str, relative: str) -> tuple[ElementTree.Element, list[ElementTree.Element]]:
    """The parsed picture and its panels' groups (`mac diff` and the tests read them too)."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as exc:
        raise DefinitionError(f"not well-formed XML: {exc}", file=relative) from None
    if root.tag != f"{SVG}svg":
        raise DefinitionError(f"root element is {root.tag}, not an SVG", file=relative)
    return root, [g for g in root.iter(f"{SVG}g") if "data-panel-id" in g.attrib]


def check_preview(relative: str, svg: str, dashboard: Mapping[str, Any]) -> None:
    root, groups = panel_groups(svg, relative)
    if root.get("data-dashboard-uid") != dashboard["uid"]:
        raise DefinitionError(f"is not the preview of dashboard {dashboard['uid']!r}", file=relative)
    drawn = {g.get("data-panel-id"): g for g in groups}
    if len(drawn) != len(groups):
        raise DefinitionError("a panel is drawn twice", file=relative)
    panels = {str(p["id"]): p for p in dashboard["panels"]}
    missing, extra = sorted(panels.keys() - drawn.keys()), sorted(drawn.keys() - panels.keys())
    if missing or extra:
        raise DefinitionError(f"panels missing {missing}, not in the dashboard {extra}", file=relative)
    for key, panel in panels.items():
        group, pos = drawn[key], panel["gridPos"]
        frame = group.find(f"{SVG}rect")
        box = grid_box(pos["x"], pos["y"], pos["w"], pos["h"])
        drawn_box = (
            tuple(float(frame.get(a, "nan")) for a in ("x", "y", "width", "height")) if frame is not None else ()
        )
        if drawn_box != box or group.get("data-title") != panel["title"]:
            raise DefinitionError(f"panel {key} is not drawn at its gridPos with its title", file=relative)


def check_all(previews: Path, dashboards: Iterable[tuple[str, Mapping[str, Any]]], tree: Path) -> None:
    """One preview per dashboard, each matching it; nothing to check where previews are off."""
    if not previews.is_dir():
        return
    wanted = {}
    for relative, dashboard in dashboards:
        wanted[f"{dashboard['uid']}.svg"] = (relative, dashboard)
    found = {p.name for p in previews.glob("*.svg")}
    stray = sorted(found - wanted.keys()) + sorted(wanted.keys() - found)
    if stray:
        raise DefinitionError(
            f"previews and dashboards differ: {', '.join(stray)}", file=str(previews.relative_to(tree))
        )
    for name, (_, dashboard) in sorted(wanted.items()):
        path = previews / name
        check_preview(str(path.relative_to(tree)), path.read_text(encoding="utf-8"), dashboard)
