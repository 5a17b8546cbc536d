"""Every file no kind reads (Loki's configuration, Grafana's provisioning, values files...): a
YAML or JSON file field by field, any other file as a whole."""

from __future__ import annotations

import hashlib

from monitoring_as_code.diff.change import Change, Fields, compare_items, flatten
from monitoring_as_code.diff.tree import Tree

KIND = "other files"
_PARSED = (".yml", ".yaml", ".json")


def _fields(tree: Tree, relative: str) -> Fields:
    if relative.endswith(_PARSED):
        return flatten({"content": tree.data(relative)})
    return {"content (sha256)": hashlib.sha256(tree.raw(relative)).hexdigest()[:12]}


def unclaimed(tree: Tree, claims: tuple[str, ...]) -> list[str]:
    """The files no pattern of `claims` (globs below the tree, `**` for any folders) matches."""
    claimed = {f for pattern in claims for f in tree.glob(pattern)}
    return [f for f in tree.files if f not in claimed]


def compare(before: Tree, after: Tree, claims: tuple[str, ...], changed: frozenset[str]) -> list[Change]:
    """The unclaimed files among the `changed` ones (the others are the same on both sides)."""
    old = {f: _fields(before, f) for f in unclaimed(before, claims) if f in changed}
    new = {f: _fields(after, f) for f in unclaimed(after, claims) if f in changed}
    return compare_items(KIND, old, new)
