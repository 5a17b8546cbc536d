"""Alertmanager routing, proven with amtool on the generated file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from monitoring_as_code.loader import load_alerting
from monitoring_as_code.render.runbook import routing_text
from monitoring_as_code.settings import Settings
from tests.conftest import REPO, MacRunner, edit, profile_project

CONFIG = profile_project() / "generated/alertmanager/alertmanager.yml"


def route(*labels: str, config: Path = CONFIG) -> str:
    result = subprocess.run(
        ["amtool", "config", "routes", "test", f"--config.file={config}", *labels],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (("alertname=RatPostgresDown", "severity=critical", "service=postgres"), "pager"),
        (("alertname=RatApiHighLatency", "severity=warning", "service=ratd"), "team-chat"),
        (("alertname=RatBackupTooOld", "severity=info", "service=backup"), "dashboard-only"),
        (("alertname=Watchdog", "severity=info", "service=monitoring"), "deadmans-switch"),
    ],
)
def test_routes_by_severity_and_watchdog_apart(labels: tuple[str, ...], receiver: str) -> None:
    assert route(*labels) == receiver


def test_every_alert_goes_where_the_runbook_says(settings: Settings) -> None:
    defs = load_alerting(REPO / "alerts", settings)
    for alert in defs.alerts:
        labels = {"alertname": alert.name, **alert.static_labels}
        receiver = route(*(f"{k}={v}" for k, v in labels.items()))
        assert routing_text(alert, defs.routes, settings).startswith(receiver), alert.name


def test_critical_pages_at_once_and_warnings_wait_for_business_hours(settings: Settings) -> None:
    config = yaml.safe_load(CONFIG.read_text())
    routes = {r["matchers"][0]: r for r in config["route"]["routes"]}
    assert routes['severity="critical"']["group_wait"] == "0s"
    assert "active_time_intervals" not in routes['severity="critical"']
    assert routes['severity="warning"']["active_time_intervals"] == ["business-hours"]
    (interval,) = config["time_intervals"]
    hours = interval["time_intervals"][0]
    assert hours["location"] == settings.business_hours.timezone
    assert hours["times"] == [{"start_time": "09:00", "end_time": "17:00"}]
    assert hours["weekdays"] == ["monday:friday"]


def test_inhibitions(settings: Settings) -> None:
    config = yaml.safe_load(CONFIG.read_text())
    rules = {tuple(r["source_matchers"]): r for r in config["inhibit_rules"]}
    assert rules[('alertname="RatApiDown"',)]["target_matchers"] == ['depends_on="ratd"']
    critical = rules[('severity="critical"',)]
    assert critical["target_matchers"] == ['severity="warning"']
    assert critical["equal"] == ["service"]
    # Everything read through ratd's /health depends on ratd, so RatApiDown silences it.
    defs = load_alerting(REPO / "alerts", settings)
    dependent = {a.name for a in defs.alerts if a.labels.get("depends_on") == "ratd"}
    assert {"RatPostgresDown", "RatMinioDown", "RatRunnerDown", "RatRatqUnhealthy", "RatNessieDown"} <= dependent


def test_no_secret_in_generated_files() -> None:
    text = CONFIG.read_text()
    for key in ("api_url:", "routing_key:", "service_key:", "credentials:", "password:"):
        assert key not in text
    assert "routing_key_file: /etc/alertmanager/secrets/" in text
    assert "api_url_file: /etc/alertmanager/secrets/" in text


def test_business_hours_follow_settings(project: Path, mac: MacRunner) -> None:
    edit(project / "monitoring.yaml", "  timezone: Europe/Berlin", "  timezone: America/New_York")
    edit(project / "monitoring.yaml", '  start: "09:00"', '  start: "08:30"')
    assert mac(project, "generate").exit_code == 0
    config = yaml.safe_load((project / "generated/alertmanager/alertmanager.yml").read_text())
    hours = config["time_intervals"][0]["time_intervals"][0]
    assert hours["location"] == "America/New_York"
    assert hours["times"][0]["start_time"] == "08:30"
