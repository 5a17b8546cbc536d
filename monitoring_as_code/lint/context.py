"""What lint rules may consult besides the object: settings and the series catalog, with the
labels of every recording rule's output inferred from its expression."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import attrs

from monitoring_as_code.catalog import GAUGE, Metric, series_catalog
from monitoring_as_code.lint.promql import Finding, Labels, analyse
from monitoring_as_code.model import RecordingRule
from monitoring_as_code.settings import Settings


@attrs.frozen
class Analysis:
    labels: Labels
    findings: tuple[Finding, ...]


@attrs.frozen(eq=False)
class LintContext:
    settings: Settings
    series: Mapping[str, tuple[Metric | None, Labels]]

    @functools.cache  # noqa: B019 - one context per run; expressions repeat across rules
    def analysis(self, expr: str) -> Analysis:
        labels, findings = analyse(expr, self.series, self.settings.intervals.scrape)
        return Analysis(labels, tuple(findings))


def build_context(
    settings: Settings, catalog: Iterable[Metric], recording_rules: Iterable[RecordingRule]
) -> LintContext:
    series = dict(series_catalog(catalog))
    for rule in recording_rules:  # in file order: a rule may read the ones before it
        labels, _ = analyse(rule.expr, series, settings.intervals.scrape)
        metric = Metric(rule.name, GAUGE, "recording rule", rule.expr)
        series[rule.name] = (metric, None if labels is None else labels | set(rule.labels))
    return LintContext(settings, series)
