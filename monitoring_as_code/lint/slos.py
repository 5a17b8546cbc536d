"""Lint rules for SLOs: objectives that leave a budget, windows the scrape interval can fill,
both alerts, thresholds an error ratio can reach, and latency thresholds the histogram can tell."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_as_code.duration import format_duration
from monitoring_as_code.lint import rule
from monitoring_as_code.lint.context import LintContext
from monitoring_as_code.lint.promql import MIN_RATE_SCRAPES
from monitoring_as_code.slo import SLO, LatencySli


@rule("slo-objective", "An objective is a percentage strictly between 0 and 100.", SLO)
def slo_objective(slo: SLO, _: LintContext) -> Iterator[str]:
    if slo.objective >= 100:
        yield (
            f"objective {slo.objective:g}% leaves no error budget: any failure burns it infinitely fast "
            "and nothing can be alerted on; promise less than 100 (e.g. 99.9)"
        )
    elif slo.objective <= 0:
        yield f"objective {slo.objective:g}% promises nothing; use a percentage above 0 (e.g. 99)"


@rule("slo-windows", "Every SLO window holds at least 4 scrapes, a whole number of them.", SLO)
def slo_windows(slo: SLO, context: LintContext) -> Iterator[str]:
    scrape = context.settings.intervals.scrape
    needed = MIN_RATE_SCRAPES * scrape
    for window in slo.windows:
        if window < needed:
            yield (
                f"window {format_duration(window)} holds {window / scrape:g} scrape(s) of {format_duration(scrape)}, "
                f"fewer than {MIN_RATE_SCRAPES}: make it at least {format_duration(needed)} in monitoring.yaml's "
                "slos, or scrape more often (intervals.scrape)"
            )
        elif round(window * 1000) % round(scrape * 1000):
            yield (
                f"window {format_duration(window)} is not a multiple of the scrape interval "
                f"{format_duration(scrape)}: its edge would fall between scrapes; change monitoring.yaml's "
                "slos windows or intervals.scrape (one that divides a minute)"
            )
    for burn in (*slo.page, *slo.ticket):
        if burn.long > slo.compliance_window:
            yield (
                f"alert window {format_duration(burn.long)} is longer than the compliance window "
                f"{format_duration(slo.compliance_window)}"
            )


@rule("slo-alerts", "Every SLO has a fast (page) and a slow (ticket) burn-rate alert.", SLO)
def slo_alerts(slo: SLO, _: LintContext) -> Iterator[str]:
    for what, burns in (("page", slo.page), ("ticket", slo.ticket)):
        if not burns:
            yield f"has no {what} alert: give it burn-rate windows (slos.{what} in monitoring.yaml)"


@rule("slo-burn-reachable", "burn rate x error budget is below 1: an error ratio can reach it.", SLO)
def slo_burn_reachable(slo: SLO, _: LintContext) -> Iterator[str]:
    if not 0 < slo.objective < 100:
        return  # slo-objective says what is wrong
    for burn in (*slo.page, *slo.ticket):
        if burn.burn_rate * slo.budget >= 1:
            yield (
                f"burn rate {burn.burn_rate:g} needs an error ratio of {burn.burn_rate * slo.budget:.0%} at objective "
                f"{slo.objective:g}%: it can never fire; raise the objective or lower the burn rate"
            )


@rule("slo-latency-bucket", "A latency threshold is an `le` boundary of its histogram.", SLO)
def slo_latency_bucket(slo: SLO, context: LintContext) -> Iterator[str]:
    sli = slo.sli
    if not isinstance(sli, LatencySli):
        return
    metric, _ = context.series.get(f"{sli.histogram}_bucket", (None, None))
    if metric is None:
        yield f"histogram {sli.histogram} is not in the catalog"
        return
    if not metric.buckets:
        yield f"the catalog lists no buckets of {sli.histogram}: add them, so the threshold can be checked"
    elif sli.threshold not in metric.buckets:
        boundaries = ", ".join(f"{b:g}" for b in metric.buckets)
        yield (
            f"latency threshold {sli.threshold:g}s is not a bucket boundary of {sli.histogram} "
            f"(its boundaries: {boundaries}); the share of faster requests cannot be counted"
        )
