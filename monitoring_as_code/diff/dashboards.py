"""Dashboards: their own settings and variables, and each panel by id: added, removed, moved,
resized, renamed, and its queries, unit, thresholds and the rest of its fields."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.diff import copies
from monitoring_as_code.diff.change import Change, Fields, compare_items, flatten, merge_copies
from monitoring_as_code.diff.tree import Tree

KIND = "dashboards"
PREVIEWS = "**/previews/*.svg"  # the previews follow from the dashboards: shown beside them, never compared
CLAIMS = (*copies.DASHBOARDS.values(), PREVIEWS)
_OWN = ("id", "title", "type", "gridPos", "targets", "fieldConfig")


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, those inside collapsed rows too."""
    found = []
    for panel in board.get("panels") or []:
        found.append(panel)
        found += _panels(panel) if panel.get("type") == "row" else []
    return found


def panel_name(panel_id: Any, title: Any) -> str:
    return f"panel {panel_id} “{title}”"


def panel_fields(panel: dict[str, Any]) -> Fields:
    pos = panel.get("gridPos") or {}
    defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
    steps = (defaults.get("thresholds") or {}).get("steps")
    fields: Fields = {
        "title": panel.get("title"),
        "type": panel.get("type"),
        "position": f"x={pos.get('x')} y={pos.get('y')}",
        "size": f"w={pos.get('w')} h={pos.get('h')}",
        "unit": defaults.get("unit"),
        "thresholds": ", ".join(f"{s.get('color')} from {s.get('value')}" for s in steps) if steps else None,
    }
    for index, target in enumerate(panel.get("targets") or []):
        ref = target.get("refId") or str(index)
        fields[f"query {ref}"] = target.get("expr")
        fields.update(flatten({k: v for k, v in target.items() if k not in ("expr", "refId")}, f"query {ref}"))
    rest = {k: v for k, v in panel.items() if k not in (*_OWN, "panels")}
    field_config = dict(panel.get("fieldConfig") or {})
    field_config["defaults"] = {k: v for k, v in defaults.items() if k not in ("unit", "thresholds")}
    fields.update(flatten({**rest, "fieldConfig": field_config}))
    return fields


def board_fields(board: dict[str, Any]) -> Fields:
    fields = flatten({k: v for k, v in board.items() if k not in ("panels", "templating", "version", "id")})
    for variable in (board.get("templating") or {}).get("list") or []:
        fields.update(flatten(variable, f"variable {variable.get('name')}"))
    return fields


def changed_panels(changes: list[Change], uid: str) -> list[str]:
    """The panel names (as panel_name writes them) `changes` touch on dashboard `uid`."""
    return sorted({c.subject[1] for c in changes if c.kind == KIND and c.subject[0] == uid and len(c.subject) > 1})


def _compare(
    before: dict[str, tuple[str, dict[str, Any]]], after: dict[str, tuple[str, dict[str, Any]]]
) -> list[Change]:
    changes = compare_items(
        KIND,
        {uid: board_fields(b) for uid, (_, b) in before.items()},
        {uid: board_fields(b) for uid, (_, b) in after.items()},
        lambda f: f"{f.get('title')}",
    )
    for uid in sorted(set(before) & set(after)):
        old = {p.get("id"): p for p in _panels(before[uid][1])}
        new = {p.get("id"): p for p in _panels(after[uid][1])}
        titles = {str(i): (new.get(i) or old[i]).get("title") for i in set(old) | set(new)}
        changes += compare_items(
            KIND,
            {str(i): panel_fields(p) for i, p in old.items()},
            {str(i): panel_fields(p) for i, p in new.items()},
            lambda f: f"{f['type']} at {f['position']} {f['size']}",
            subject=lambda i, uid=uid, titles=titles: (uid, panel_name(i, titles[i])),
        )
    return changes


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    """The dashboards in the `changed` files (one file holds one dashboard)."""
    return merge_copies(
        (copy, _compare(copies.dashboards(before, copy, changed), copies.dashboards(after, copy, changed)))
        for copy in copies.present(before, after)
    )
