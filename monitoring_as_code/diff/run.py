"""Both trees compared, kind by kind, into one report."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import PurePosixPath

import attrs

from monitoring_as_code.diff import (
    alertmanager,
    alerts,
    compose,
    copies,
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
from monitoring_as_code.timings import Timings

# (before, after, the files whose bytes differ): a kind whose items each live in one file reads
# only those; the others read every file of theirs.
Compare = Callable[[Tree, Tree, frozenset[str]], list[Change]]


@attrs.frozen
class Kind:
    title: str  # `--timings` names its phase by it
    compare: Compare
    reads: tuple[str, ...]  # the files it reads (fnmatch patterns): a kind none of whose files changed is skipped


_RULES, _RUNBOOKS, _ALERTMANAGER = (
    tuple(c.values()) for c in (copies.RULE_FILES, copies.RUNBOOKS, copies.ALERTMANAGER)
)
# In the report's order: what pages first.
KINDS = (
    Kind(alerts.KIND, alerts.compare, (*_RULES, *_RUNBOOKS)),
    Kind(routing.KIND, routing.compare, (*_RULES, *_ALERTMANAGER)),
    Kind(alertmanager.KIND, alertmanager.compare, _ALERTMANAGER),
    Kind(recording.KIND, recording.compare, _RULES),
    Kind(slos.KIND, slos.compare, _RUNBOOKS),
    Kind("scrape jobs, probes, blackbox modules", scrape.compare, scrape.CLAIMS),
    Kind(dashboards.KIND, dashboards.compare, tuple(copies.DASHBOARDS.values())),
    Kind(kubernetes.KIND, kubernetes.compare, kubernetes.CLAIMS),
    Kind(", ".join(compose.FILES), compose.compare, compose.CLAIMS),
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


def compare_trees(before: Tree, after: Tree, timings: Timings | None = None) -> Report:
    """Every change from `before` to `after`; `timings` gets each kind's seconds."""
    timings = timings or Timings()
    with timings.phase("changed files"):
        files = changed_files(before, after)
    if not files:
        return Report(before, after, (), ())
    changed = frozenset(files)
    changes: list[Change] = []
    for kind in KINDS:
        if any(fnmatch.fnmatch(f, pattern) for f in files for pattern in kind.reads):
            with timings.phase(kind.title):
                changes += kind.compare(before, after, changed)
    changed_alerts = {c.subject[0] for c in changes if c.kind == alerts.KIND}
    # A test follows its alert: told only when the alert itself did not change.
    followers = frozenset(f for f in changed if PurePosixPath(f).stem not in changed_alerts)
    with timings.phase(f"{rule_tests.KIND}, {other.KIND}"):
        changes += rule_tests.compare(before, after, followers)
        changes += other.compare(before, after, CLAIMS, changed)
    return Report(before, after, tuple(changes), files)
