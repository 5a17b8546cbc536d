"""Alerts, field by field: expression, `for`, severity, each label and annotation, and what the
runbook shows (threshold, condition, its own text)."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.diff import copies, runbook
from monitoring_as_code.diff.change import Change, Fields, compare_items, merge_copies
from monitoring_as_code.diff.tree import Tree

KIND = "alerts"
CLAIMS = (*copies.RUNBOOKS.values(),)  # the rule files are read by recording too: see run.py
_RULE_FIELDS = frozenset({"alert", "expr", "for", "keep_firing_for", "labels", "annotations"})


def alert_rules(tree: Tree, copy: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """alert name -> (group, rule) of `copy`."""
    found = {}
    for relative, group in copies.rule_groups(tree, copy):
        for rule in group.get("rules") or []:
            if "alert" in rule:
                tree.refuse_unknown_fields(relative, f"alert {rule['alert']}", rule, _RULE_FIELDS)
                found[str(rule["alert"])] = (str(group.get("name")), rule)
    return found


def items(tree: Tree, copy: str) -> dict[str, Fields]:
    book = runbook.entries(tree, copies.RUNBOOKS[copy])
    found: dict[str, Fields] = {}
    for name, (group, rule) in alert_rules(tree, copy).items():
        labels = dict(rule.get("labels") or {})
        fields: Fields = {
            "group": group,
            "expr": rule.get("expr"),
            "for": rule.get("for"),
            "keep_firing_for": rule.get("keep_firing_for"),
            "severity": labels.pop("severity", None),
        }
        fields.update({f"label {k}": v for k, v in labels.items()})
        fields.update({f"annotation {k}": v for k, v in (rule.get("annotations") or {}).items()})
        entry = book.get(name)
        if entry is not None:
            fields.update(threshold=entry.threshold, condition=entry.condition, check=entry.check)
            fields["runbook text"] = entry.prose
        found[name] = fields
    return found


def summary(fields: Fields) -> str:
    parts = [f"severity {fields.get('severity')}"]
    if fields.get("threshold"):
        parts.append(f"threshold {fields['threshold']}")
    return ", ".join(parts) + f": {fields.get('expr')}"


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    return merge_copies(
        (copy, compare_items(KIND, items(before, copy), items(after, copy), summary))
        for copy in copies.present(before, after)
    )
