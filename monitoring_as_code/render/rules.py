"""Prometheus rule files: one group per definition module."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.duration import format_duration
from monitoring_as_code.model import Alert, RecordingRule, RuleGroup
from monitoring_as_code.settings import Settings


def runbook_anchor(alert_name: str) -> str:
    """The anchor a Markdown renderer gives the heading `## <alert_name>`."""
    return alert_name.lower()


def annotations(alert: Alert, settings: Settings) -> dict[str, str]:
    return {
        "summary": alert.summary,
        "description": alert.description,
        "runbook_url": f"{settings.runbook_base_url}#{runbook_anchor(alert.name)}",
    }


def render_alert(alert: Alert, settings: Settings) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": alert.name, "expr": alert.expr}
    if alert.for_:
        rule["for"] = format_duration(alert.for_)
    if alert.keep_firing_for:
        rule["keep_firing_for"] = format_duration(alert.keep_firing_for)
    rule["labels"] = alert.static_labels
    rule["annotations"] = annotations(alert, settings)
    return rule


def render_recording_rule(rule: RecordingRule) -> dict[str, Any]:
    out: dict[str, Any] = {"record": rule.name, "expr": rule.expr}
    if rule.labels:
        out["labels"] = dict(rule.labels)
    return out


def render_group(
    name: str, recording_rules: tuple[RecordingRule, ...], alerts: tuple[Alert, ...], settings: Settings
) -> dict[str, Any]:
    rules = [render_recording_rule(r) for r in recording_rules]
    rules += [render_alert(a, settings) for a in alerts]
    return {"groups": [{"name": name, "rules": rules}]}


def render_rule_file(group: RuleGroup, settings: Settings) -> dict[str, Any]:
    return render_group(group.name, group.recording_rules, group.alerts, settings)
