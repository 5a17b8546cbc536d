"""Who gets paged: for each alert whose routing may have changed (its labels changed, it is new or
gone, or the Alertmanager routing changed), the receivers of both configurations as the real
`amtool config routes test` resolves them. The routing tree is never re-implemented here.

amtool tests one label set a run, and a run is mostly its start-up (about 50 ms), so alerts the
routing tree cannot tell apart share one run: those that agree on every label its matchers name,
a label only matched for equality counting as one value unless it is one the matchers name. The
runs of both sides and both outputs go at once, and a configuration both sides (or outputs) hold
alike is asked once."""

from __future__ import annotations

import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from monitoring_as_code import waiting
from monitoring_as_code.diff import alerts, copies
from monitoring_as_code.diff.alertmanager import config_of
from monitoring_as_code.diff.change import CHANGED, Change, merge_copies
from monitoring_as_code.diff.tree import Tree
from monitoring_as_code.validate.tools import failure, run

KIND = "who gets paged"
_ROUTING_PARTS = ("route", "receivers", "time_intervals", "mute_time_intervals")
_PARALLEL = 8  # amtool runs mostly start up: a few at a time on two cores
# One matcher as Alertmanager writes it (`severity="critical"`, `team=~"db|web"`); a line holding
# more (a comma, braces) is not split here: the alerts are then told apart by all their labels.
_MATCHER = re.compile(r'^\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]*)"|[^",{}\s]*)\s*$')
_OTHER = object()  # a value no equality matcher names: every such value routes alike
Labels = dict[str, str]


def labels_of(rule: dict[str, Any], name: str) -> Labels:
    """The labels an alert always carries (its expression may add more, which no config can know)."""
    return {"alertname": name, **{str(k): str(v) for k, v in (rule.get("labels") or {}).items()}}


def receivers(config: Path, labels: Labels, label: str) -> str:
    """What amtool says `labels` are routed to, in the tree's order ("a, b" when several)."""
    matchers = [f'{k}="{_escaped(v)}"' for k, v in sorted(labels.items())]
    config = config.resolve()  # amtool runs in the config's folder: a relative path would name another file
    result = run(
        "amtool", ["config", "routes", "test", f"--config.file={config}", *matchers], config.parent, file=label
    )
    if result.returncode:
        raise failure(label, "amtool config routes test", result)
    return ", ".join(line.strip() for line in result.stdout.splitlines() if line.strip())


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _routing(config: Any) -> Any:
    return {k: v for k, v in (config or {}).items() if k in _ROUTING_PARTS}


def matched_labels(config: dict[str, Any] | None) -> dict[str, frozenset[str] | None] | None:
    """Each label the routing tree's matchers name: the values its equality matchers compare with,
    or None when a regular expression matches it. None for a matcher not read here."""
    named: dict[str, set[str] | None] = {}

    def note(name: str, value: str | None) -> None:
        known = named.setdefault(name, set())
        if known is not None and value is not None:
            known.add(value)
        elif value is None:
            named[name] = None

    routes = [(config or {}).get("route") or {}]
    while routes:
        route = routes.pop()
        routes += route.get("routes") or []
        for name, value in (route.get("match") or {}).items():
            note(str(name), str(value))
        for name in route.get("match_re") or {}:
            note(str(name), None)
        for line in route.get("matchers") or []:
            found = _MATCHER.match(str(line))
            if found is None:
                return None
            name, operator, value = found.groups()
            if value.startswith('"'):
                value = value[1:-1]
            note(name, None if "~" in operator or "\\" in value else value)
    return {name: None if values is None else frozenset(values) for name, values in named.items()}


def label_class(labels: Labels, named: dict[str, frozenset[str] | None] | None) -> tuple[Any, ...]:
    """What the routing tree can see of `labels` (an absent label matches as an empty one)."""
    if named is None:
        return tuple(sorted(labels.items()))
    seen = []
    for name, values in sorted(named.items()):
        value = labels.get(name, "")
        seen.append((name, value if values is None or value in values else _OTHER))
    return tuple(seen)


def _candidates(before: Tree, after: Tree, copy: str) -> tuple[dict[str, Labels], dict[str, Labels]]:
    """Label sets before and after of the alerts whose receivers may differ."""
    old = {n: labels_of(rule, n) for n, (_, rule) in alerts.alert_rules(before, copy).items()}
    new = {n: labels_of(rule, n) for n, (_, rule) in alerts.alert_rules(after, copy).items()}
    routing_changed = _routing(config_of(before, copy)) != _routing(config_of(after, copy))
    names = {n for n in set(old) | set(new) if routing_changed or old.get(n) != new.get(n)}
    return {n: old[n] for n in sorted(names) if n in old}, {n: new[n] for n in sorted(names) if n in new}


def _config_file(tree: Tree, copy: str, scratch: Path) -> tuple[Path, str, str] | None:
    """(file amtool reads, where it is in the tree, its text) of `copy`'s configuration."""
    found = copies.alertmanager_config(tree, copy)
    if found is None:
        return None
    relative, text = found
    if copy == copies.COMPOSE:
        return tree.folder / relative, tree.where(relative), text
    path = scratch / f"{tree.label.replace('/', '_')}-{copy}.yml"  # the Secret's payload, as a file for amtool
    path.write_text(text, encoding="utf-8")
    return path, tree.where(relative), text


class _Asked:
    """The amtool runs of one comparison: one per configuration text and label class, all at once."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self.pool = pool
        self.runs: dict[tuple[str, tuple[Any, ...]], Any] = {}

    def ask(self, config: tuple[Path, str, str], named: Any, labels: Labels) -> Any:
        key = (config[2], label_class(labels, named))
        if key not in self.runs:
            self.runs[key] = self.pool.submit(receivers, config[0], labels, config[1])
        return self.runs[key]


def _compare(before: Tree, after: Tree, copy: str, scratch: Path, asked: _Asked) -> list[tuple[str, Any, Any]]:
    """(alert, receivers before, after) of `copy`, each side a pending amtool answer or None."""
    old_labels, new_labels = _candidates(before, after, copy)
    jobs: dict[tuple[str, str], Any] = {}
    for side, tree, labels in (("before", before, old_labels), ("after", after, new_labels)):
        config = _config_file(tree, copy, scratch) if labels else None
        if config is None:
            continue
        named = matched_labels(config_of(tree, copy))
        for name, alert_labels in labels.items():
            jobs[side, name] = asked.ask(config, named, alert_labels)
    return [
        (name, jobs.get(("before", name)), jobs.get(("after", name)))
        for name in sorted(set(old_labels) | set(new_labels))
    ]


def _answer(job: Any) -> str | None:
    return None if job is None else str(waiting.result(job))


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    with tempfile.TemporaryDirectory(prefix="mac-diff-routes-") as tmp, ThreadPoolExecutor(_PARALLEL) as pool:
        asked = _Asked(pool)
        pending = [(copy, _compare(before, after, copy, Path(tmp), asked)) for copy in copies.present(before, after)]
        answered = [
            (copy, [(name, _answer(was), _answer(now)) for name, was, now in alerts_of]) for copy, alerts_of in pending
        ]
    return merge_copies(
        (copy, [Change(KIND, (name,), CHANGED, "receivers", was, now) for name, was, now in found if was != now])
        for copy, found in answered
    )
