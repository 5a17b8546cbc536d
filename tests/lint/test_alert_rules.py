"""Each lint rule for alerting and recording rules: one object that breaks it, one that keeps it."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.profile_ratd_0_2 import RATD_METRICS as RATD_0_2_METRICS
from monitoring_as_code.catalog import EXPORTER_METRICS
from monitoring_as_code.lint.context import LintContext, build_context
from monitoring_as_code.lint.run import lint_objects
from monitoring_as_code.model import RecordingRule, Runbook
from monitoring_as_code.settings import Settings
from tests.conftest import FIRES, GUIDE_CATALOG, SILENT
from tests.conftest import example_alert as alert


@pytest.fixture(scope="module")
def context(settings: Settings) -> LintContext:
    recording = RecordingRule("job:up:sum", "sum by (job) (up)")
    return build_context(settings, GUIDE_CATALOG, [recording])


def problems(obj: Any, context: LintContext, rule_id: str) -> list[str]:
    return [p.message for p in lint_objects([("alerts/x.py", obj)], context) if p.rule == rule_id]


CASES = [
    ("alert-name", {"name": "RatExample_down"}, "not CamelCase"),
    ("alert-name", {"name": "Rat" + "VeryLong" * 5}, "more than 40"),
    ("alert-severity", {"severity": "page"}, "severity 'page'"),
    ("alert-annotations", {"summary": " "}, "annotation summary is missing"),
    ("alert-annotations", {"runbook": Runbook("", [])}, "runbook needs"),
    ("alert-description-value", {"description": "{{ $labels.instance }} is down"}, "observed value"),
    (
        "alert-runbook-static",
        {"runbook": Runbook("what it means", ["`kubectl describe pod {{ $labels.pod }}`"])},
        "runbook step 1 has a template",
    ),
    ("alert-runbook-static", {"runbook": Runbook("{{ $labels.pod }} is down", ["first step"])}, "runbook meaning"),
    ("alert-for-interval", {"for_": "20s"}, "20s is not a multiple of the evaluation interval 15s"),
    ("alert-comparison", {"expr": 'up{job="ratd"}'}, "no comparison"),
    # A `!=` matcher is no comparison, nor is a comparison with `bool` (it returns 0 or 1 for every series).
    ("alert-comparison", {"expr": 'up{job!="ratd"}'}, "no comparison"),
    ("alert-comparison", {"expr": 'up{job="ratd"} > bool 0'}, "no comparison"),
    ("alert-comparison", {"expr": 'up{job="ratd"} or up{job="ratd"} == 0'}, "no comparison"),
    ("alert-template-labels", {"expr": "sum(up) == 0"}, "$labels.instance, which the expression does not keep"),
    ("alert-service-label", {"service": None, "scenarios": [SILENT]}, "no `service` label"),
    ("alert-scenarios", {"scenarios": [SILENT]}, "no scenario where the alert fires"),
    ("alert-scenarios", {"scenarios": [FIRES]}, "no near-miss scenario"),
    ("promql-unknown-metric", {"expr": "ratd_up == 0"}, "metric 'ratd_up' is not in the catalog"),
    ("promql-unknown-label", {"expr": 'up{pod="x"} == 0'}, "label 'pod'"),
    ("promql-unknown-label", {"expr": "sum by (pod) (up) == 0"}, "label 'pod' in sum by"),
    ("promql-unknown-label", {"expr": "up / on (pod) up > 1"}, "label 'pod' in / on(...)"),
    # A platform's label (a cluster's `namespace`) may be grouped by everywhere, never matched where absent.
    ("promql-unknown-label", {"expr": 'up{namespace="rat"} == 0'}, "label 'namespace' in up{...}"),
    ("promql-unknown-label", {"expr": "sum by (nmespace, job) (up) == 0"}, "label 'nmespace' in sum by"),
    ("promql-rate-on-non-counter", {"expr": "rate(ratd_active_runs[5m]) > 1"}, "a gauge, not a counter"),
    (
        "promql-quantile-buckets",
        {"expr": "histogram_quantile(0.99, sum by (path) (rate(ratd_http_request_duration_seconds_bucket[5m]))) > 1"},
        "drops `le`",
    ),
    (
        "promql-quantile-buckets",
        {"expr": "histogram_quantile(0.99, rate(ratd_http_request_duration_seconds_count[5m])) > 1"},
        "not _bucket series",
    ),
    ("promql-raw-counter", {"expr": "ratd_pipeline_runs_total > 3"}, "counter ratd_pipeline_runs_total is used"),
    ("promql-rate-window", {"expr": "rate(ratd_http_requests_total[30s]) > 1"}, "shorter than 4x"),
]


@pytest.mark.parametrize(("rule_id", "overrides", "message"), CASES, ids=[f"{c[0]}:{c[2][:20]}" for c in CASES])
def test_rule_flags_the_broken_alert(context: LintContext, rule_id: str, overrides: dict, message: str) -> None:
    found = problems(alert(**overrides), context, rule_id)
    assert any(message in m for m in found), found


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in CASES}))
def test_rule_passes_the_good_alert(context: LintContext, rule_id: str) -> None:
    assert problems(alert(), context, rule_id) == []


@pytest.mark.parametrize(
    "expr",
    [
        'up{job!="ratd"} == 0',  # the near-miss of the `!=` matcher
        'label_replace(up{job="ratd"} == 0, "service", "$1", "job", "(.+)")',
        'absent(up{job="ratd"})',
        'up{job="ratd"} and on (job) (up{job="ratd"} == 0)',
        '(up{job="ratd"} == 0) or absent(up{job="ratd"})',
    ],
)
def test_alert_comparison_reads_the_syntax_tree(context: LintContext, expr: str) -> None:
    assert problems(alert(expr=expr), context, "alert-comparison") == []


def test_a_runbook_may_name_labels_and_braces_without_a_template(context: LintContext) -> None:
    """The near-miss of alert-runbook-static: a placeholder, a label named in words, jq's single braces."""
    steps = [
        "`kubectl describe pod <pod>`, `<pod>` being the one the alert's `pod` label names.",
        "`curl -s localhost:8080/health/ready | jq '{status, checks}'`",
    ]
    assert problems(alert(runbook=Runbook("$labels.pod is the pod", steps)), context, "alert-runbook-static") == []


@pytest.mark.parametrize(
    "expr",
    [
        'sum by (namespace, job) (up{job="ratd"}) == 0',
        'up{job="ratd"} == 0 and on (namespace, job) count by (namespace, job) (up{job="ratd"})',
        'sum without (namespace) (up{job="ratd"}) == 0',
    ],
)
def test_a_platform_label_may_be_grouped_by_where_series_lack_it(context: LintContext, expr: str) -> None:
    """Compose series have no `namespace`; grouping or matching by it changes nothing there, so one
    rule text serves compose and a cluster (the near-miss of the matcher case above)."""
    assert problems(alert(expr=expr), context, "promql-unknown-label") == []


def test_grouping_by_a_platform_label_does_not_make_it_selectable(settings: Settings) -> None:
    """On compose `min by (namespace, job) (up)` yields series without `namespace`: a recording
    rule of it must not let a matcher or a template read a label that never exists there."""
    rule = RecordingRule("namespace_job:up:min", 'min by (namespace, job) (up{job="ratd"})')
    extended = build_context(settings, GUIDE_CATALOG, [rule])
    found = problems(alert(expr='namespace_job:up:min{namespace="rat"} == 0'), extended, "promql-unknown-label")
    assert found == ["label 'namespace' in namespace_job:up:min{...} is not on ['job']"]
    assert problems(alert(expr='namespace_job:up:min{job="ratd"} == 0'), extended, "promql-unknown-label") == []


def test_recording_rule_name(context: LintContext) -> None:
    assert problems(RecordingRule("ratd_rate", "sum(up)"), context, "recording-rule-name")
    assert problems(RecordingRule("job:up:sum", "sum by (job) (up)"), context, "recording-rule-name") == []


def test_recording_rules_extend_the_catalog_with_their_labels(context: LintContext) -> None:
    assert problems(alert(expr='job:up:sum{job="ratd"} == 0'), context, "promql-unknown-metric") == []
    found = problems(alert(expr='job:up:sum{instance="x"} == 0'), context, "promql-unknown-label")
    assert found == ["label 'instance' in job:up:sum{...} is not on ['job']"]


def test_a_rule_can_be_disabled_with_a_reason(context: LintContext) -> None:
    relaxed = alert(expr='up{job="ratd"}', lint_disable={"alert-comparison": "a heartbeat"})
    assert problems(relaxed, context, "alert-comparison") == []
    unknown = alert(lint_disable={"no-such-rule": "typo"})
    assert [p.rule for p in lint_objects([("x.py", unknown)], context)] == ["lint-disable"]


def test_ratd_0_2s_dispatched_total_is_a_gauge_despite_its_name(settings: Settings) -> None:
    """ratd_scheduler_last_tick_dispatched_total counts one tick, not since start: rate() over it
    is refused, and comparing it raw (or over time) is fine."""
    context = build_context(settings, EXPORTER_METRICS + RATD_0_2_METRICS, [])
    dispatched = 'ratd_scheduler_last_tick_dispatched_total{job="ratd"}'
    found = problems(alert(expr=f"rate({dispatched}[5m]) > 1"), context, "promql-rate-on-non-counter")
    assert any("a gauge, not a counter" in m for m in found), found
    for near_miss in (f"avg_over_time({dispatched}[15m]) > 1", f"{dispatched} > 1"):
        assert problems(alert(expr=near_miss), context, "promql-rate-on-non-counter") == []
        assert problems(alert(expr=near_miss), context, "promql-raw-counter") == []
    # ratd 0.2's one counter is a counter all the same.
    assert problems(alert(expr='ratd_gc_completed_total{job="ratd"} > 1'), context, "promql-raw-counter")
