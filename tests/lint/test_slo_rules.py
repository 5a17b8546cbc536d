"""Each SLO lint rule: an SLO that breaks it, and a near miss that keeps it. The numbers are fixed
here (a 15s scrape, the workbook's windows), not read from monitoring.yaml."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from monitoring_as_code.lint.context import LintContext, build_context
from monitoring_as_code.lint.run import lint_objects
from monitoring_as_code.settings import Settings
from monitoring_as_code.slo import SLO, BurnWindow, LatencySli, ProbeSli
from tests.conftest import GUIDE_CATALOG

HOUR, DAY = 3600, 86400
PAGE = (BurnWindow(14.4, HOUR, 300), BurnWindow(6, 6 * HOUR, 1800))
TICKET = (BurnWindow(3, DAY, 2 * HOUR), BurnWindow(1, 3 * DAY, 6 * HOUR))
LIVE = ProbeSli('probe_success{job="rat-probes",check="live"}')
LATENCY = LatencySli("ratd_http_request_duration_seconds", 'job="ratd"', 1)


def example_slo(**overrides: Any) -> SLO:
    """A lint-clean SLO; tests change one field at a time."""
    fields: dict[str, Any] = {
        "name": "api-availability",
        "service": "ratd",
        "description": "ratd answers.",
        "sli": LIVE,
        "objective": 99.9,
        "compliance_window": 30 * DAY,
        "page": PAGE,
        "ticket": TICKET,
    }
    return SLO(**{**fields, **overrides})


@pytest.fixture(scope="module")
def context(settings: Settings) -> LintContext:
    return build_context(
        attrs.evolve(settings, intervals=attrs.evolve(settings.intervals, scrape=15, evaluation=15)), GUIDE_CATALOG, []
    )


def problems(slo: SLO, context: LintContext, rule_id: str) -> list[str]:
    return [p.message for p in lint_objects([("slos/x.py", slo)], context) if p.rule == rule_id]


# (rule, what breaks it, the message, the near miss that keeps it)
CASES = [
    ("slo-objective", {"objective": 100}, "objective 100% leaves no error budget", {"objective": 99.999}),
    ("slo-objective", {"objective": 0}, "objective 0% promises nothing", {"objective": 0.001}),
    (
        "slo-windows",
        {"page": (BurnWindow(14.4, HOUR, 45), PAGE[1])},
        "window 45s holds 3 scrape(s) of 15s, fewer than 4: make it at least 1m",
        {"page": (BurnWindow(14.4, HOUR, 60), PAGE[1])},
    ),
    (
        "slo-windows",
        {"page": (BurnWindow(14.4, HOUR, 70), PAGE[1])},
        "window 1m10s is not a multiple of the scrape interval 15s",
        {"page": (BurnWindow(14.4, HOUR, 75), PAGE[1])},
    ),
    (
        "slo-windows",
        {"compliance_window": 2 * DAY},
        "alert window 3d is longer than the compliance window 2d",
        {"compliance_window": 3 * DAY},
    ),
    ("slo-alerts", {"ticket": ()}, "has no ticket alert", {"ticket": TICKET[:1]}),
    ("slo-alerts", {"page": ()}, "has no page alert", {"page": PAGE[1:]}),
    (
        "slo-burn-reachable",
        {"objective": 90},
        "burn rate 14.4 needs an error ratio of 144% at objective 90%: it can never fire",
        {"objective": 93.1},
    ),
    (
        "slo-latency-bucket",
        {"sli": attrs.evolve(LATENCY, threshold=0.7)},
        "latency threshold 0.7s is not a bucket boundary of ratd_http_request_duration_seconds "
        "(its boundaries: 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)",
        {"sli": attrs.evolve(LATENCY, threshold=2.5)},
    ),
]
IDS = [f"{c[0]}:{c[2][:24]}" for c in CASES]


@pytest.mark.parametrize(("rule_id", "broken", "message", "near_miss"), CASES, ids=IDS)
def test_rule_flags_the_broken_slo(
    context: LintContext, rule_id: str, broken: dict, message: str, near_miss: dict
) -> None:
    found = problems(example_slo(**broken), context, rule_id)
    assert any(message in m for m in found), found


@pytest.mark.parametrize(("rule_id", "broken", "message", "near_miss"), CASES, ids=IDS)
def test_rule_passes_the_near_miss(
    context: LintContext, rule_id: str, broken: dict, message: str, near_miss: dict
) -> None:
    assert problems(example_slo(**near_miss), context, rule_id) == []


def test_a_latency_threshold_needs_buckets_in_the_catalog(context: LintContext) -> None:
    unknown = attrs.evolve(LATENCY, histogram="ratd_grpc_request_duration_seconds")  # no buckets documented
    found = problems(example_slo(sli=unknown), context, "slo-latency-bucket")
    assert found == [
        "the catalog lists no buckets of ratd_grpc_request_duration_seconds: add them, so the threshold can be checked"
    ]


def test_a_clean_slo_breaks_no_rule(context: LintContext) -> None:
    assert (
        lint_objects([("slos/x.py", example_slo()), ("slos/y.py", example_slo(sli=LATENCY, objective=99))], context)
        == []
    )
