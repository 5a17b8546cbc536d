"""Recording rules: each record (with its labels, when one name is recorded more than once) by
expression and labels."""

from __future__ import annotations

from monitoring_as_code.diff import copies
from monitoring_as_code.diff.change import Change, Fields, compare_items, merge_copies
from monitoring_as_code.diff.tree import Tree

KIND = "recording rules"
CLAIMS = (*copies.RULE_FILES.values(),)
_RULE_FIELDS = frozenset({"record", "expr", "labels"})


def items(tree: Tree, copy: str) -> dict[str, Fields]:
    found: dict[str, Fields] = {}
    for relative, group in copies.rule_groups(tree, copy):
        for rule in group.get("rules") or []:
            if "record" not in rule:
                continue
            tree.refuse_unknown_fields(relative, f"record {rule['record']}", rule, _RULE_FIELDS)
            labels = rule.get("labels") or {}
            name = str(rule["record"])
            if name in found or labels:
                name += "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
            found[name] = {"group": group.get("name"), "expr": rule.get("expr"), "labels": labels}
    return found


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    return merge_copies(
        (copy, compare_items(KIND, items(before, copy), items(after, copy), lambda f: str(f["expr"])))
        for copy in copies.present(before, after)
    )
