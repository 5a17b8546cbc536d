"""The compose output's own files: RAT's compose record (what the override depends on in RAT's
compose project) and the override, each service by name, the rest as settings."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.diff.change import Change, Fields, compare_items, flatten
from monitoring_as_code.diff.tree import Tree

RECORD, OVERRIDE = "compose/rat-compose.record.yml", "compose/docker-compose.monitoring.yml"
CLAIMS = (RECORD, OVERRIDE)
FILES = {"RAT's compose record": RECORD, "compose override": OVERRIDE}


def items(tree: Tree, relative: str) -> dict[str, Fields]:
    if not tree.exists(relative):
        return {}
    data: dict[str, Any] = dict(tree.data(relative) or {})
    found = {f"service {name}": flatten(service) for name, service in (data.pop("services", None) or {}).items()}
    found["settings"] = flatten(data)
    return found


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    changes = []
    for kind, relative in FILES.items():
        changes += compare_items(kind, items(before, relative), items(after, relative))
    return changes
