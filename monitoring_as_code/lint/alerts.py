"""Lint rules for alerting and recording rules (after mixtool's and pint's offline checks)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from monitoring_as_code import templates
from monitoring_as_code.duration import format_duration
from monitoring_as_code.lint import rule
from monitoring_as_code.lint.context import LintContext
from monitoring_as_code.model import SEVERITIES, Alert, RecordingRule
from monitoring_as_code.promql import is_condition, parse_promql

MAX_ALERT_NAME = 40
_CAMEL_CASE = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$")
_RECORDING_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+:[a-zA-Z0-9_]+$")
_LABEL_REFERENCE = re.compile(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)")


@rule("alert-name", "Alert names are CamelCase and at most 40 characters.", Alert)
def alert_name(alert: Alert, _: LintContext) -> Iterator[str]:
    if not _CAMEL_CASE.match(alert.name):
        yield f"name {alert.name!r} is not CamelCase"
    if len(alert.name) > MAX_ALERT_NAME:
        yield f"name is {len(alert.name)} characters long, more than {MAX_ALERT_NAME}"


@rule("alert-severity", "Severity is critical, warning or info: the routing knows no other.", Alert)
def alert_severity(alert: Alert, _: LintContext) -> Iterator[str]:
    if alert.severity not in SEVERITIES:
        yield f"severity {alert.severity!r} is not one of {', '.join(SEVERITIES)}"


@rule("alert-annotations", "summary, description and runbook (meaning and first steps) are all written.", Alert)
def alert_annotations(alert: Alert, _: LintContext) -> Iterator[str]:
    for field in ("summary", "description"):
        if not getattr(alert, field).strip():
            yield f"annotation {field} is missing"
    if not alert.runbook.meaning.strip() or not alert.runbook.steps:
        yield "runbook needs what the alert means and at least one first step"


@rule("alert-description-value", "The description shows the observed value ({{ $value ... }}).", Alert)
def alert_description_value(alert: Alert, _: LintContext) -> Iterator[str]:
    if not templates.uses_value(alert.description):
        yield "description does not show the observed value ({{ $value | humanize }} or similar)"


@rule(
    "alert-runbook-static", "Runbook text has no `{{`: the runbook is static Markdown, never template-expanded.", Alert
)
def alert_runbook_static(alert: Alert, _: LintContext) -> Iterator[str]:
    texts = [("meaning", alert.runbook.meaning), *((f"step {i}", s) for i, s in enumerate(alert.runbook.steps, 1))]
    for where, text in texts:
        if "{{" in text:
            yield (
                f"runbook {where} has a template ({{{{ ... }}}}), which nothing expands on the runbook page: "
                "say in words which label to read (the annotations may use templates)"
            )


@rule("alert-for-interval", "`for` and `keep_firing_for` are multiples of the evaluation interval.", Alert)
def alert_for_interval(alert: Alert, context: LintContext) -> Iterator[str]:
    step = context.settings.intervals.evaluation
    for field, value in (("for", alert.for_), ("keep_firing_for", alert.keep_firing_for)):
        if round(value * 1000) % round(step * 1000):
            yield (
                f"{field} {format_duration(value)} is not a multiple of the evaluation interval {format_duration(step)}"
            )


@rule("alert-comparison", "The expression compares (or uses absent()): without a condition it always fires.", Alert)
def alert_comparison(alert: Alert, _: LintContext) -> Iterator[str]:
    if not is_condition(parse_promql(alert.expr)):
        yield "expression has no comparison, so the alert fires for every series it returns"


@rule("alert-template-labels", "Templates only use labels that the alert will carry.", Alert)
def alert_template_labels(alert: Alert, context: LintContext) -> Iterator[str]:
    labels = context.analysis(alert.expr).labels
    if labels is None:
        return
    available = labels | set(alert.static_labels)
    for field in ("summary", "description"):
        for label in _LABEL_REFERENCE.findall(getattr(alert, field)):
            if label not in available:
                yield f"{field} uses $labels.{label}, which the expression does not keep (it has {sorted(available)})"


@rule("alert-service-label", "Every alert carries `service`: static, or produced by the expression.", Alert)
def alert_service_label(alert: Alert, context: LintContext) -> Iterator[str]:
    labels = context.analysis(alert.expr).labels
    if alert.service is None and labels is not None and "service" not in labels:
        yield "service is not set and the expression yields no `service` label"


@rule("alert-scenarios", "At least one scenario fires and one near-miss stays silent.", Alert)
def alert_scenarios(alert: Alert, _: LintContext) -> Iterator[str]:
    if not any(s.fires for s in alert.scenarios):
        yield "no scenario where the alert fires"
    if not any(not s.fires for s in alert.scenarios):
        yield "no near-miss scenario where the alert stays silent"


@rule("recording-rule-name", "Recording rules are named level:metric:operations.", RecordingRule)
def recording_rule_name(recording: RecordingRule, _: LintContext) -> Iterator[str]:
    if not _RECORDING_NAME.match(recording.name):
        yield f"name {recording.name!r} is not level:metric:operations"
