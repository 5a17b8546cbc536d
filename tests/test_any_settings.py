"""The engine and the definitions hold for any valid settings, not only the shipped ones:
regenerate under a perturbed copy of the test profile (every threshold changed within its range,
other intervals and windows, another timezone and business hours) and run the alert scenarios
(promtool test rules), lint and every validator on it."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring_as_code.duration import format_duration, parse_duration
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.settings import _schema
from tests.conftest import PROFILES, TEST_PROFILE, MacRunner


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _schema()["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def perturbed(value: Any, schema: dict[str, Any], up: bool) -> Any:
    """Another valid value, up or down: durations doubled or halved, integers one more or one
    less, other numbers 10% more or less (the other way where that leaves the schema's range),
    mappings item by item."""
    schema = _resolved(schema)
    if isinstance(value, dict):
        return {key: perturbed(item, schema.get("properties", {}).get(key, {}), up) for key, item in value.items()}
    if isinstance(value, str):
        return format_duration(parse_duration(value) * (2 if up else 0.5))
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    step: Callable[[float, bool], float] = (
        (lambda v, more: v + 1 if more else v - 1)
        if isinstance(value, int)
        else (lambda v, more: v * (1.1 if more else 0.9))
    )
    candidate = step(value, up)
    return candidate if _in_range(candidate, schema) else step(value, not up)


def _in_range(value: float, schema: dict[str, Any]) -> bool:
    return (
        value <= schema.get("maximum", math.inf)
        and value >= schema.get("minimum", -math.inf)
        and value > schema.get("exclusiveMinimum", -math.inf)
        and value < schema.get("exclusiveMaximum", math.inf)
    )


def perturbed_settings(up: bool = True) -> dict[str, Any]:
    data = yaml.safe_load(TEST_PROFILE.read_text())
    schema = _schema()["properties"]
    data["thresholds"] = perturbed(data["thresholds"], schema["thresholds"], up)
    data["windows"] = perturbed(data["windows"], schema["windows"], up)
    data["intervals"] = (
        {"scrape": "30s", "evaluation": "15s", "dependency_probe": "2m"}
        if up
        else {"scrape": "10s", "evaluation": "5s", "dependency_probe": "30s"}
    )
    data["runner"]["max_concurrent"] = 7 if up else 25
    timezone = "America/New_York" if up else "Asia/Kolkata"
    data["business_hours"].update(timezone=timezone, start="08:30", end="18:15")
    return data


@pytest.mark.parametrize("up", [True, False], ids=["up", "down"])
def test_every_threshold_is_perturbed(up: bool) -> None:
    before = yaml.safe_load(TEST_PROFILE.read_text())["thresholds"]
    after = perturbed_settings(up)["thresholds"]
    for key, value in before.items():
        if isinstance(value, dict):
            assert all(after[key][k] != v for k, v in value.items()), key
        else:
            assert after[key] != value, key


@pytest.mark.parametrize("up", [True, False], ids=["up", "down"])
def test_generate_lint_and_validate_hold_under_perturbed_settings(project: Path, mac: MacRunner, up: bool) -> None:
    settings_file = project / "monitoring.yaml"
    settings_file.write_text(yaml.safe_dump(perturbed_settings(up), sort_keys=False))
    settings = load_settings(settings_file)  # valid, or the perturbation is wrong

    result = mac(project, "generate")  # lint, render, promtool test rules and every validator
    assert result.exit_code == 0, result.output
    assert mac(project, "lint").exit_code == 0
    assert mac(project, "check").exit_code == 0

    generated = project / "generated"
    host = (generated / "prometheus/rules/host.yml").read_text()
    assert f"> {settings.thresholds.disk_usage_percent:g}" in host
    assert f"scrape_interval: {'30s' if up else '10s'}" in (generated / "prometheus/prometheus.yml").read_text()
    assert settings.business_hours.timezone in (generated / "alertmanager/alertmanager.yml").read_text()
    tests = sorted((generated / "prometheus/tests").glob("*.yml"))
    assert len(tests) > 10


# Valid settings at the edges, each of which once failed `mac generate` (a scenario that could not
# pass, a sample limit, a float a hair above its threshold), all in one project with both outputs.
EDGES: dict[str, Any] = {
    "thresholds.disk_usage_percent": 57,  # 100 * (1 - 430/1000) is 57.00000000000001
    "thresholds.container_memory_percent": 0.5,
    "thresholds.disk_for": "2d",  # 11,521 samples at the scrape interval
    "thresholds.container_memory_for": "1h",  # longer than the cluster scenario's 40 samples were
    "thresholds.backup_max_age": "30d",
    "thresholds.sse_spike_factor": 10,  # reachable only with evaluations at every scrape
    "windows.scheduler_baseline": "7d",
    "windows.sse_baseline": "2d",
    "windows.request_baseline": "2d",
    "slos.page": [{"burn_rate": 3.5, "long": "1h", "short": "5m"}],  # 3.85x: a tie of "%.1f"
    "slos.ticket": [{"burn_rate": 1.5, "long": "1d", "short": "2h"}],  # 1.65x
}


@pytest.mark.parametrize("profile", PROFILES)
def test_settings_at_the_edges_generate(project: Path, mac: MacRunner, profile: str) -> None:
    data = yaml.safe_load(TEST_PROFILE.read_text())
    data["rat"]["profile"] = profile
    for dotted, value in EDGES.items():
        section, key = dotted.split(".")
        data[section][key] = value
    data["outputs"] = ["compose", "kubernetes"]
    (project / "monitoring.yaml").write_text(yaml.safe_dump(data, sort_keys=False))

    result = mac(project, "generate")
    assert result.exit_code == 0, result.output
    tests = (project / "generated/prometheus/tests").glob("*.yml")
    assert max(len(t.read_text()) for t in tests) < 200_000  # long windows sampled coarsely, not by the hour-long list
