"""Lint rules: small functions with an id and a one-line doc, run over the loaded definitions.

A rule yields one message per problem. An object may switch a rule off with
`lint_disable={"rule-id": "why it does not apply"}`. `mac lint` lists every problem; `generate`
and `check` stop at the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

Check = Callable[[Any, "Any"], Iterator[str]]


@attrs.frozen
class Rule:
    id: str
    doc: str
    applies_to: type | tuple[type, ...]
    check: Check


RULES: dict[str, Rule] = {}


def rule(rule_id: str, doc: str, applies_to: type | tuple[type, ...]) -> Callable[[Check], Check]:
    """Register a lint rule: `check(obj, context)` yields a message per problem found."""

    def register(check: Check) -> Check:
        assert rule_id not in RULES, rule_id
        RULES[rule_id] = Rule(rule_id, doc, applies_to, check)
        return check

    return register


@attrs.frozen
class Problem:
    file: str
    obj: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.obj}: {self.message} [{self.rule}]"
