"""Run every registered lint rule over the loaded definitions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from monitoring_as_code.dashboard import Dashboard
from monitoring_as_code.definitions import Definitions
from monitoring_as_code.lint import RULES, Problem
from monitoring_as_code.lint import alerts as _alerts  # noqa: F401 - registers its rules
from monitoring_as_code.lint import dashboards as _dashboards  # noqa: F401 - registers its rules
from monitoring_as_code.lint import queries as _queries  # noqa: F401 - registers its rules
from monitoring_as_code.lint import slos as _slos  # noqa: F401 - registers its rules
from monitoring_as_code.lint.context import LintContext, build_context
from monitoring_as_code.settings import Settings


def lint_objects(objects: Iterable[tuple[str, Any]], context: LintContext) -> list[Problem]:
    """`objects` are (file, object) pairs; each object is checked by the rules that apply to it."""
    problems = []
    for file, obj in objects:
        disabled = getattr(obj, "lint_disable", {})
        for rule_id in disabled:
            if rule_id not in RULES:
                problems.append(Problem(file, obj.label, "lint-disable", f"disables unknown lint rule {rule_id!r}"))
        for lint_rule in RULES.values():
            if isinstance(obj, lint_rule.applies_to) and lint_rule.id not in disabled:
                problems += [Problem(file, obj.label, lint_rule.id, m) for m in lint_rule.check(obj, context)]
    return problems


def lint_definitions(
    defs: Definitions, dashboards: Iterable[tuple[str, Dashboard]], settings: Settings
) -> list[Problem]:
    """Every rule over the alerting definitions and the (file, dashboard) pairs."""
    context = build_context(settings, defs.catalog, defs.recording_rules)
    objects: list[tuple[str, Any]] = [(g.file, o) for g in defs.groups for o in (*g.recording_rules, *g.alerts)]
    # SLOs first: a broken objective or window explains the problems of the rules it expands into.
    return lint_objects([*defs.slos, *objects, *dashboards], context)
