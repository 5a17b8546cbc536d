"""SLOs: the model, the numbers (objective -> budget -> burn-rate thresholds -> paging bound), the
rules and alerts one definition expands into, and their generated scenarios proven by promtool
for other objectives than the shipped ones. Numbers here are fixed (the workbook's windows, a
15s scrape), not read from monitoring.yaml."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.loader import load_alerting
from monitoring_as_code.outputs.compose.unit import PATHS
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.render.rule_tests import isolated_rule_file, render_test_file
from monitoring_as_code.serialize import to_yaml
from monitoring_as_code.settings import Settings
from monitoring_as_code.slo import (
    PAGE,
    TICKET,
    LatencySli,
    RequestsSli,
    evaluate,
    expand,
    outage_bound,
    sample_interval,
)
from monitoring_as_code.validate import promtool
from tests.conftest import PROFILES, REPO, set_profile
from tests.lint.test_slo_rules import LATENCY, LIVE, example_slo
from tests.lint.test_slo_rules import PAGE as PAGE_WINDOWS

REQUESTS = RequestsSli(
    bad='ratd_http_requests_total{job="ratd",status=~"5.."}',
    total='ratd_http_requests_total{job="ratd"}',
    bad_series='ratd_http_requests_total{job="ratd",path="/x",status="500"}',
    good_series='ratd_http_requests_total{job="ratd",path="/x",status="200"}',
)
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")  # the windows the workbook's alerts read


@pytest.fixture(scope="module")
def fixed(settings: Settings) -> Settings:
    return attrs.evolve(settings, intervals=attrs.evolve(settings.intervals, scrape=15, evaluation=15))


def test_the_numbers_of_the_workbook(fixed: Settings) -> None:
    slo = example_slo(objective=99.9)
    assert slo.budget == 0.001
    # 14.4x spends the 30d budget in 50h, 6x in 5d, 3x in 10d, 1x in the 30d.
    assert [slo.exhaustion(r) for r in (14.4, 6, 3, 1)] == ["2d2h, 50h", "5d, 120h", "10d, 240h", "30d, 720h"]
    # A full outage after a good history: 4 failed 15s probes are 4/241 of the 1h window > 1.44%.
    assert outage_bound(slo, slo.page, 15) == (4, 60)
    page = next(a for a in expand(slo, fixed)[1] if a.severity == PAGE)
    assert page.threshold.endswith("a full outage pages after 4 scrape interval(s), within 1m15s")
    assert "2d2h" in page.runbook.meaning and "30d / N" in page.runbook.meaning


@pytest.mark.parametrize("objective", [99, 99.5, 99.9, 99.95, 99.99])
def test_the_paging_bound_is_the_first_failure_past_the_threshold(objective: float) -> None:
    """f failed samples page, f - 1 do not: f is the least count whose share of the fast page's
    long window (n + 1 samples, both edges included) exceeds burn rate x budget, unless the slow
    page's pair gets there first."""
    slo = example_slo(objective=objective)
    failures, seconds = outage_bound(slo, slo.page, 15)
    fastest = min(
        next(
            f
            for f in range(1, 10**6)
            if Fraction(f, round(b.long / 15) + 1) > Fraction(b.burn_rate) * Fraction(str(slo.budget))
        )
        for b in slo.page
    )
    assert failures == fastest and seconds == 15 * failures


def test_an_slo_expands_into_recording_rules_per_window_and_two_alerts(fixed: Settings) -> None:
    slo = example_slo()
    rules, alerts = expand(slo, fixed)
    names = [r.name for r in rules]
    assert names == [f"slo:api_availability_errors:ratio_rate{w}" for w in (*WINDOWS, "30d")] + [
        "slo:api_availability_error_budget:ratio_remaining30d"
    ]
    assert all(r.labels == {"slo": "api-availability"} for r in rules)
    assert [(a.name, a.severity, a.service) for a in alerts] == [
        ("RatApiAvailabilityFastBurn", PAGE, "ratd"),
        ("RatApiAvailabilitySlowBurn", TICKET, "ratd"),
    ]
    assert all(a.labels["slo"] == "api-availability" for a in alerts)
    assert "slo:api_availability_errors:ratio_rate1h / 0.001 > 14.4" in alerts[0].expr
    assert "slo:api_availability_errors:ratio_rate5m / 0.001 > 14.4" in alerts[0].expr
    assert "slo:api_availability_errors:ratio_rate3d / 0.001 > 1" in alerts[1].expr


def test_every_alert_has_the_issues_scenarios(fixed: Settings) -> None:
    page, ticket = expand(example_slo(), fixed)[1]
    fired = {s.name: bool(s.fires) for s in page.scenarios}
    assert fired == {
        "fires at a burn just above 14.4x over 1h and 5m": True,
        "silent at a burn just below 14.4x over 1h and 5m": False,
        "fires at a burn just above 6x over 6h and 30m": True,
        "silent at a burn just below 6x over 6h and 30m": False,
        "silent on a fresh start, whatever fails, until a window is full": False,
        "never pages at a burn of 1x (exactly on budget)": False,
        "a full outage pages within 1m (1 failed sample(s))": True,
        "recovery resolves the page 6m after the outage": False,
    }
    assert {s.name: bool(s.fires) for s in ticket.scenarios} == {
        "fires at a burn just above 3x over 1d and 2h": True,
        "silent at a burn just below 3x over 1d and 2h": False,
        "fires at a burn just above 1x over 3d and 6h": True,
        "silent at a burn just below 1x over 3d and 6h": False,
        "silent on a fresh start, whatever fails, until a window is full": False,
    }
    # Coarse sampling keeps day-long windows cheap: 1m for the page, 15m for the ticket.
    assert {s.interval for s in page.scenarios} == {60} and {s.interval for s in ticket.scenarios} == {900}


def test_the_burn_just_above_shows_its_rate() -> None:
    slo = example_slo()
    above = [Fraction(str(slo.budget)) * Fraction(6) * Fraction(11, 10)] * 361
    assert evaluate(slo, slo.page, above, 360, 60) == pytest.approx(6.6)
    assert sample_interval(slo.page, 15) == 60


@pytest.mark.parametrize(
    ("sli", "objective"),
    [(LIVE, 99), (LIVE, 99.95), (REQUESTS, 99.5), (REQUESTS, 99.99), (LATENCY, 95), (LATENCY, 99.9)],
    ids=["probe-99", "probe-99.95", "requests-99.5", "requests-99.99", "latency-95", "latency-99.9"],
)
def test_changing_the_objective_keeps_proving_the_rules(
    tmp_path: Path, fixed: Settings, sli: Any, objective: float
) -> None:
    """The scenarios are computed from the objective: promtool passes them at other objectives."""
    slo = example_slo(sli=sli, objective=objective)
    rules, alerts = expand(slo, fixed)
    tests = tmp_path / PATHS.tests
    (tests / "rules").mkdir(parents=True)
    for alert in alerts:
        (tests / f"rules/{alert.name}.yml").write_text(to_yaml(isolated_rule_file(alert, tuple(rules), fixed)))
        (tests / f"{alert.name}.yml").write_text(to_yaml(render_test_file(alert, f"rules/{alert.name}.yml", fixed)))
    promtool.test_rules(tmp_path, PATHS.tests)


def test_a_scenario_that_the_math_gets_wrong_fails_promtool(tmp_path: Path, fixed: Settings) -> None:
    """The proof can fail: the same scenarios against an alert whose threshold is off by 20%."""
    slo = example_slo(objective=99.9)
    rules, (page, _) = expand(slo, fixed)
    wrong = attrs.evolve(page, expr=page.expr.replace("> 14.4", "> 17.28"))
    tests = tmp_path / PATHS.tests
    (tests / "rules").mkdir(parents=True)
    (tests / f"rules/{page.name}.yml").write_text(to_yaml(isolated_rule_file(wrong, tuple(rules), fixed)))
    (tests / f"{page.name}.yml").write_text(to_yaml(render_test_file(wrong, f"rules/{page.name}.yml", fixed)))
    with pytest.raises(DefinitionError, match="promtool test rules failed"):
        promtool.test_rules(tmp_path, PATHS.tests)


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_has_its_slos(settings: Settings, profile: str) -> None:
    defs = load_alerting(REPO / "alerts", attrs.evolve(settings, profile=profile))
    slos = {s.name: s for _, s in defs.slos}
    expected = {
        "ratd-0.2": {"api-availability", "api-readiness"},
        "guide": {"api-availability", "request-availability", "request-latency"},
    }
    assert set(slos) == expected[profile]
    for slo in slos.values():
        names = {a.name for a in defs.alerts if a.labels.get("slo") == slo.name}
        assert names == {f"{slo.alert_base}FastBurn", f"{slo.alert_base}SlowBurn"}
        assert all(
            r.labels == {"slo": slo.name} for r in defs.recording_rules if r.name.startswith(f"slo:{slo.metric}_")
        )
    if profile == "guide":
        assert isinstance(slos["request-latency"].sli, LatencySli)


def test_a_short_window_longer_than_its_long_one_is_refused(project: Path, mac: Any) -> None:
    settings = project / "monitoring.yaml"
    text = settings.read_text()
    settings.write_text(
        text.replace("{burn_rate: 14.4, long: 1h, short: 5m}", "{burn_rate: 14.4, long: 1h, short: 2h}")
    )
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert "settings slos.page[0]: short window 2h must be shorter than the long window 1h" in result.stderr


def test_slo_model_refuses_what_it_cannot_expand() -> None:
    with pytest.raises(DefinitionError, match="name 'API' is not lower-case words"):
        example_slo(name="API")
    with pytest.raises(DefinitionError, match=r"objective '99\.9' is not a percentage"):
        example_slo(objective="99.9")
    with pytest.raises(DefinitionError, match="sli must be one of"):
        example_slo(sli="probe_success")
    assert PAGE_WINDOWS[0].text == "14.4x over 1h and 5m"


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_renders_and_proves_its_slos(project: Path, mac: Any, profile: str) -> None:
    """Under the shipped settings, each profile's SLO rules, alerts, scenarios (run by promtool
    inside generate) and dashboard are generated."""
    set_profile(project, profile)
    result = mac(project, "generate")
    assert result.exit_code == 0, result.output
    generated = project / "generated"
    defs = load_alerting(project / "alerts", load_settings(project / "monitoring.yaml"))
    for file, slo in defs.slos:
        assert (generated / f"prometheus/rules/slo-{Path(file).stem}.yml").is_file()
        for suffix in ("FastBurn", "SlowBurn"):
            assert (generated / f"prometheus/tests/{slo.alert_base}{suffix}.yml").is_file()
    dashboard = json.loads((generated / "grafana/dashboards/rat-slos.json").read_text())
    assert len(dashboard["panels"]) == 5 * len(defs.slos)
