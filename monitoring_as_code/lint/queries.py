"""The PromQL rules: one per kind of finding of the analysis in lint/promql.py, for every
expression of an alerting or recording rule and every Prometheus query of a dashboard."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_as_code.dashboard import Dashboard
from monitoring_as_code.lint import Check, rule
from monitoring_as_code.lint.context import LintContext
from monitoring_as_code.lint.dashboards import promql_findings
from monitoring_as_code.model import Alert, RecordingRule

PROMQL_RULES = {
    "promql-unknown-metric": "Every selected metric is in the metric catalog (or a recording rule).",
    "promql-unknown-label": (
        "Every label in a matcher, by/without or on/ignoring exists on its operand "
        "(a platform's label, `namespace`, may be grouped or matched by where series lack it)."
    ),
    "promql-rate-on-non-counter": "rate(), irate() and increase() only read counters (or histogram series).",
    "promql-quantile-buckets": "histogram_quantile() reads _bucket series and keeps `le`.",
    "promql-raw-counter": "A counter is never compared or shown raw, only through rate() or increase().",
    "promql-rate-window": "A rate window spans at least 4 scrape intervals (or uses $__rate_interval).",
}


def findings_of(rule_id: str, expr: str, context: LintContext) -> Iterator[str]:
    return (f.message for f in context.analysis(expr).findings if f.rule == rule_id)


def _expression_rule(rule_id: str) -> Check:
    def check(obj: Alert | RecordingRule | Dashboard, context: LintContext) -> Iterator[str]:
        if isinstance(obj, Dashboard):
            return promql_findings(rule_id, obj, context)
        return findings_of(rule_id, obj.expr, context)

    return check


for rule_id, doc in PROMQL_RULES.items():
    rule(rule_id, doc, (Alert, RecordingRule, Dashboard))(_expression_rule(rule_id))
