"""The promtool tests of each alert, by test case. A test follows its alert: run.py reports a
test change only for an alert that did not change itself (a new scenario, say). The compose and
Kubernetes copies are merged; the rule files the tests load are copies of the rules, not read."""

from __future__ import annotations

from pathlib import PurePosixPath

from monitoring_as_code.diff import copies
from monitoring_as_code.diff.change import Change, Fields, compare_items, flatten, merge_copies
from monitoring_as_code.diff.tree import Tree

KIND = "promtool tests"
CLAIMS = tuple(f"{folder}/**/*" for folder in copies.TESTS.values())


def items(tree: Tree, copy: str, changed: frozenset[str]) -> dict[str, Fields]:
    """The tests of `copy` in the `changed` files (the others are the same on both sides)."""
    found: dict[str, Fields] = {}
    for relative in tree.glob(f"{copies.TESTS[copy]}/*.yml"):
        if relative not in changed:
            continue
        cases = (tree.data(relative) or {}).get("tests") or []
        found[PurePosixPath(relative).stem] = flatten({str(c.get("name")): c for c in cases})
    return found


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    return merge_copies(
        (copy, compare_items(KIND, items(before, copy, changed), items(after, copy, changed)))
        for copy in copies.present(before, after)
    )
