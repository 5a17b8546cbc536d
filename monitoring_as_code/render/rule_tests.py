"""promtool unit tests: per alert, a test file and a rule file holding only that alert and the
recording rules it reads. promtool evaluates every rule of a test's rule files at every step,
so isolating each alert keeps the suite linear in the number of alerts."""

from __future__ import annotations

from typing import Any

from monitoring_as_code import templates
from monitoring_as_code.duration import format_duration
from monitoring_as_code.model import Alert, RecordingRule, Scenario
from monitoring_as_code.promql import metric_names
from monitoring_as_code.render.rules import annotations, render_group
from monitoring_as_code.settings import Settings


def recording_rules_needed(expr: str, recording_rules: tuple[RecordingRule, ...]) -> tuple[RecordingRule, ...]:
    """The recording rules `expr` reads, directly or through other recording rules, in
    evaluation order (a rule after the rules it reads)."""
    by_name = {r.name: r for r in recording_rules}
    ordered: list[RecordingRule] = []

    def visit(names: list[str], path: tuple[str, ...]) -> None:
        for name in names:
            rule = by_name.get(name)
            if rule is None or rule in ordered:
                continue
            if name in path:
                raise ValueError(f"recording rules form a cycle: {' -> '.join((*path, name))}")
            visit(metric_names(rule.expr), (*path, name))
            ordered.append(rule)

    visit(metric_names(expr), ())
    return tuple(ordered)


# Not templated, so promtool has nothing to prove about it; left out, an alert that two outputs
# define alike (each with its own runbook) has one test, run once (validate/promtool.py).
UNTESTED_ANNOTATIONS = ("runbook_url",)


def _tested(texts: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in texts.items() if k not in UNTESTED_ANNOTATIONS}


def isolated_rule_file(alert: Alert, recording_rules: tuple[RecordingRule, ...], settings: Settings) -> dict[str, Any]:
    needed = recording_rules_needed(alert.expr, recording_rules)
    rule_file = render_group(f"test-{alert.name}", needed, (alert,), settings)
    for rule in rule_file["groups"][0]["rules"]:
        if "annotations" in rule:
            rule["annotations"] = _tested(rule["annotations"])
    return rule_file


def _expected_alerts(alert: Alert, scenario: Scenario, settings: Settings) -> list[dict[str, Any]]:
    out = []
    for firing in scenario.fires:
        labels = {**firing.labels, **alert.static_labels}
        texts = _tested(annotations(alert, settings))
        out.append(
            {
                "exp_labels": labels,
                "exp_annotations": {k: templates.expand(v, labels, firing.value) for k, v in texts.items()},
            }
        )
    return out


def evaluation_interval(alert: Alert, settings: Settings) -> float:
    """The production evaluation interval, unless every scenario samples more coarsely (alerts
    over hours or days): promtool evaluates every rule at every step up to the last eval time,
    so stepping at the scenarios' own pace keeps day-long tests cheap."""
    paces = [s.evaluation_interval or s.interval for s in alert.scenarios]
    if any(pace is None for pace in paces):
        return settings.intervals.evaluation
    return max(settings.intervals.evaluation, min(p for p in paces if p is not None))


def render_test_file(alert: Alert, rule_file: str, settings: Settings) -> dict[str, Any]:
    """`rule_file` is the isolated rule file's path relative to the test file."""
    tests = []
    for scenario in alert.scenarios:
        interval = scenario.interval or settings.intervals.scrape
        tests.append(
            {
                "name": scenario.name,
                "interval": format_duration(interval),
                "input_series": [{"series": s, "values": v} for s, v in scenario.series.items()],
                "alert_rule_test": [
                    {
                        "eval_time": format_duration(at),
                        "alertname": alert.name,
                        "exp_alerts": _expected_alerts(alert, scenario, settings),
                    }
                    for at in scenario.at
                ],
            }
        )
    return {
        "rule_files": [rule_file],
        "evaluation_interval": format_duration(evaluation_interval(alert, settings)),
        "tests": tests,
    }
