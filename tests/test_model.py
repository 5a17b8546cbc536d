"""Model objects check themselves on construction and name themselves in the error."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import Firing, RecordingRule, Scenario
from tests.conftest import example_alert as alert


def test_a_valid_alert_normalises_durations() -> None:
    built = alert(for_="1m30s")
    assert built.for_ == 90
    assert built.static_labels == {"severity": "warning", "service": "ratd"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # Conventions (CamelCase, known severities, written annotations) are lint rules: tests/lint.
        ({"name": "rat api/down"}, "not a valid alert name"),
        ({"expr": "rate(up[5m]"}, "expr does not parse"),
        ({"severity": 3}, "severity 3 is not a string"),
        ({"service": "Ratd Service"}, "service 'Ratd Service'"),
        ({"description": "{{ .Value }}"}, "unsupported template"),
        ({"summary": None}, "summary must be a string"),
        ({"for_": "5 minutes"}, "for: '5 minutes' is not a duration"),
        ({"for_": -1}, "for: -1 is negative"),
        ({"labels": {"bad-name": "x"}}, "'bad-name' is not a label name"),
        ({"labels": {"team": 3}}, "label team must be a string"),
    ],
)
def test_invalid_alerts_name_the_alert_and_the_problem(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError) as error:
        alert(**overrides)
    assert error.value.obj == f"alert {overrides.get('name', 'RatExampleDown')}"
    assert message in error.value.message


def test_service_from_expression_must_be_expected_in_scenarios() -> None:
    scenario = Scenario("fires", {'up{job="x"}': "0x5"}, at="1m", fires=[Firing({"job": "x"}, 0)])
    with pytest.raises(DefinitionError, match="service comes from the expression"):
        alert(service=None, scenarios=[scenario])


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ({"rate(up[5m])": "1"}, "not a plain series selector"),
        ({'up{job="x"}': "one two"}, "not promtool's values notation"),
        ({}, "needs at least one input series"),
    ],
)
def test_invalid_scenarios(series: dict[str, str], message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        Scenario("s", series, at="1m")


def test_scenario_accepts_several_evaluation_times() -> None:
    assert Scenario("s", {"up": "1x4"}, at=("15s", 30)).at == (15, 30)


def test_recording_rule_names_are_metric_names() -> None:
    with pytest.raises(DefinitionError, match="not a valid metric name"):
        RecordingRule("job:ratd requests:rate5m", "sum(up)")


def test_a_disabled_lint_rule_needs_a_reason() -> None:
    with pytest.raises(DefinitionError, match="needs a written reason"):
        alert(lint_disable={"alert-comparison": " "})
