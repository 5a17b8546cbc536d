"""SLOs as the runbook states them: objective, compliance window, error budget, and the burn
windows of their fast and slow burn alerts."""

from __future__ import annotations

import re

from monitoring_as_code.diff import copies, runbook
from monitoring_as_code.diff.change import Change, Fields, compare_items, merge_copies
from monitoring_as_code.diff.tree import Tree

KIND = "slos"
CLAIMS = ()  # read from the runbook, which alerts.py claims
_BURN = re.compile(r"^SLO (?P<slo>\S+): error budget burning (?P<speed>\w+)$")


def items(tree: Tree, copy: str) -> dict[str, Fields]:
    found: dict[str, Fields] = {}
    for alert, entry in runbook.entries(tree, copies.RUNBOOKS[copy]).items():
        match = _BURN.match(entry.condition)
        if match is None:
            continue
        fields = found.setdefault(match["slo"], {})
        fields.update(entry.objective)
        fields[f"{match['speed']} burn ({alert})"] = entry.threshold.split(";")[0]
    return found


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    return merge_copies(
        (copy, compare_items(KIND, items(before, copy), items(after, copy), lambda f: f"{f.get('objective')}"))
        for copy in copies.present(before, after)
    )
