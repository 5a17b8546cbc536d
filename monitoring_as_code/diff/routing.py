"""Who gets paged: for each alert whose routing may have changed (its labels changed, it is new or
gone, or the Alertmanager routing changed), the receivers of both configurations as the real
`amtool config routes test` resolves them. The routing tree is never re-implemented here."""

from __future__ import annotations

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


def labels_of(rule: dict[str, Any], name: str) -> dict[str, str]:
    """The labels an alert always carries (its expression may add more, which no config can know)."""
    return {"alertname": name, **{str(k): str(v) for k, v in (rule.get("labels") or {}).items()}}


def receivers(config: Path, labels: dict[str, str], label: str) -> str:
    """What amtool says `labels` are routed to, in the tree's order ("a, b" when several)."""
    matchers = [f'{k}="{_escaped(v)}"' for k, v in sorted(labels.items())]
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


def _candidates(before: Tree, after: Tree, copy: str) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Label sets before and after of the alerts whose receivers may differ."""
    old = {n: labels_of(rule, n) for n, (_, rule) in alerts.alert_rules(before, copy).items()}
    new = {n: labels_of(rule, n) for n, (_, rule) in alerts.alert_rules(after, copy).items()}
    routing_changed = _routing(config_of(before, copy)) != _routing(config_of(after, copy))
    names = {n for n in set(old) | set(new) if routing_changed or old.get(n) != new.get(n)}
    return {n: old[n] for n in names if n in old}, {n: new[n] for n in names if n in new}


def _config_file(tree: Tree, copy: str, scratch: Path) -> tuple[Path, str] | None:
    found = copies.alertmanager_config(tree, copy)
    if found is None:
        return None
    relative, text = found
    if copy == copies.COMPOSE:
        return tree.folder / relative, tree.where(relative)
    path = scratch / f"{tree.label.replace('/', '_')}-{copy}.yml"  # the Secret's payload, as a file for amtool
    path.write_text(text, encoding="utf-8")
    return path, tree.where(relative)


def _compare(before: Tree, after: Tree, copy: str, scratch: Path, pool: ThreadPoolExecutor) -> list[Change]:
    old_labels, new_labels = _candidates(before, after, copy)
    old_config, new_config = _config_file(before, copy, scratch), _config_file(after, copy, scratch)
    jobs = {}
    for side, labels, config in (("before", old_labels, old_config), ("after", new_labels, new_config)):
        for name, alert_labels in labels.items():
            if config is not None:
                jobs[side, name] = pool.submit(receivers, config[0], alert_labels, config[1])
    changes = []
    for name in sorted(set(old_labels) | set(new_labels)):
        was = waiting.result(jobs["before", name]) if ("before", name) in jobs else None
        now = waiting.result(jobs["after", name]) if ("after", name) in jobs else None
        if was != now:
            changes.append(Change(KIND, (name,), CHANGED, "receivers", was, now))
    return changes


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    with tempfile.TemporaryDirectory(prefix="mac-diff-routes-") as tmp, ThreadPoolExecutor(_PARALLEL) as pool:
        return merge_copies(
            (copy, _compare(before, after, copy, Path(tmp), pool)) for copy in copies.present(before, after)
        )
