"""Both trees compared, kind by kind, into one report."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from monitoring_as_code.diff import (
    alertmanager,
    alerts,
    compose,
    dashboards,
    kubernetes,
    other,
    recording,
    routing,
    rule_tests,
    scrape,
    slos,
)
from monitoring_as_code.diff.change import Change
from monitoring_as_code.diff.tree import Tree

Compare = Callable[[Tree, Tree], list[Change]]
# In the report's order: what pages first.
KINDS: tuple[Compare, ...] = (
    alerts.compare,
    routing.compare,
    alertmanager.compare,
    recording.compare,
    slos.compare,
    scrape.compare,
    dashboards.compare,
    kubernetes.compare,
    compose.compare,
)
CLAIMS = (
    *alerts.CLAIMS,
    *recording.CLAIMS,
    *rule_tests.CLAIMS,
    *alertmanager.CLAIMS,
    *scrape.CLAIMS,
    *dashboards.CLAIMS,
    *kubernetes.CLAIMS,
    *compose.CLAIMS,
)


@attrs.frozen
class Report:
    before: Tree
    after: Tree
    changes: tuple[Change, ...]
    changed_files: tuple[str, ...]  # files whose bytes differ (or exist on one side only)

    @property
    def formatting_only(self) -> bool:
        return not self.changes and bool(self.changed_files)


def changed_files(before: Tree, after: Tree) -> tuple[str, ...]:
    return tuple(
        f
        for f in sorted(set(before.files) | set(after.files))
        if f not in before.files or f not in after.files or before.raw(f) != after.raw(f)
    )


def compare_trees(before: Tree, after: Tree) -> Report:
    files = changed_files(before, after)
    if not files:
        return Report(before, after, (), ())
    changes = [change for compare in KINDS for change in compare(before, after)]
    changed_alerts = {c.subject[0] for c in changes if c.kind == alerts.KIND}
    # A test follows its alert: told only when the alert itself did not change.
    changes += [c for c in rule_tests.compare(before, after) if c.subject[0] not in changed_alerts]
    changes += other.compare(before, after, CLAIMS)
    return Report(before, after, tuple(changes), files)
