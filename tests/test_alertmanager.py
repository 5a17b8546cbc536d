"""Alertmanager routing, proven with amtool on the generated file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import attrs
import pytest
import yaml

from alerts._shared import while_ratd_answers
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.loader import load_alerting
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.render.runbook import routing_text
from monitoring_as_code.settings import Settings
from tests.conftest import GUIDE, RATD_0_2, REPO, MacRunner, edit, profile_project

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
    ],
)
def test_routes_by_severity_and_watchdog_apart(labels: tuple[str, ...], receiver: str) -> None:
    assert route(*labels) == receiver


def test_the_watchdog_reaches_its_switch_or_nothing_while_the_switch_is_disabled(settings: Settings) -> None:
    (switch,) = [r for r in settings.alertmanager.receivers if r.name == settings.alertmanager.route_to["watchdog"]]
    expected = "dashboard-only" if switch.disabled else switch.name
    assert route("alertname=Watchdog", "severity=info", "service=monitoring") == expected


def test_a_disabled_receiver_is_not_rendered_and_its_routes_send_nothing(project: Path, mac: MacRunner) -> None:
    settings = yaml.safe_load((project / "monitoring.yaml").read_text())
    am = settings["alertmanager"]
    warning, watchdog, critical = (am["route_to"][k] for k in ("warning", "watchdog", "critical"))
    assert len({warning, watchdog, critical}) == 3, "the test needs three receivers"
    am["receivers"][warning]["disabled"] = "no chat"
    am["receivers"][watchdog]["disabled"] = "no switch"
    am["receivers"][critical].pop("disabled", None)
    (project / "monitoring.yaml").write_text(yaml.safe_dump(settings))
    assert mac(project, "generate").exit_code == 0
    config = project / "generated/alertmanager/alertmanager.yml"
    names = [r["name"] for r in yaml.safe_load(config.read_text())["receivers"]]
    assert warning not in names and watchdog not in names and critical in names
    assert route("alertname=RatApiHighLatency", "severity=warning", "service=ratd", config=config) == "dashboard-only"
    assert route("alertname=Watchdog", "severity=info", "service=monitoring", config=config) == "dashboard-only"
    assert route("alertname=RatPostgresDown", "severity=critical", "service=postgres", config=config) == critical
    runbook = (project / "generated/docs/alerts.md").read_text()
    assert f"receiver {warning} is disabled (no chat)" in runbook


def watchdog_to_webhook(project: Path, url: str) -> str:
    """The Watchdog's receiver made an enabled webhook to `url`; its name."""
    settings = yaml.safe_load((project / "monitoring.yaml").read_text())
    name = settings["alertmanager"]["route_to"]["watchdog"]
    settings["alertmanager"]["receivers"][name] = {"type": "webhook", "url": url}
    (project / "monitoring.yaml").write_text(yaml.safe_dump(settings))
    return name


@pytest.mark.parametrize(
    "url",
    [
        "https://deadmans-switch.example.com/ping",
        "https://example.org/hook",
        "http://hooks.example.net/x",
        "https://switch.invalid/ping",
        "https://switch.test/ping",
    ],
)
def test_a_routed_receiver_with_a_placeholder_host_is_refused(project: Path, url: str) -> None:
    name = watchdog_to_webhook(project, url)
    with pytest.raises(DefinitionError, match=rf"route_to\.watchdog: receiver '{name}' is routed to, but url"):
        load_settings(project / "monitoring.yaml")


@pytest.mark.parametrize(
    "url", ["https://hc-ping.com/uuid", "https://example.company.com/hook", "https://notexample.org/x"]
)
def test_a_real_host_is_no_placeholder(project: Path, url: str) -> None:
    name = watchdog_to_webhook(project, url)
    assert load_settings(project / "monitoring.yaml").alertmanager.route_to["watchdog"] == name


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


def test_an_outage_and_the_slo_burn_it_causes_are_one_page(settings: Settings) -> None:
    """Pages are grouped by service alone: RatApiDown and every SLO page of ratd share one
    notification group, so one incident (PagerDuty's dedup key is the group key)."""
    config = yaml.safe_load(CONFIG.read_text())
    (critical,) = [r for r in config["route"]["routes"] if r["matchers"] == ['severity="critical"']]
    assert critical["group_by"] == ["service"]
    defs = load_alerting(REPO / "alerts", settings)
    pages = [a for a in defs.alerts if a.labels.get("slo") and a.severity == "critical"]
    assert pages and all(a.service == "ratd" for a in pages)
    down = route("alertname=RatApiDown", "severity=critical", "service=ratd")
    for page in pages:
        assert route(*(f"{k}={v}" for k, v in {"alertname": page.name, **page.static_labels}.items())) == down


def test_inhibitions(settings: Settings) -> None:
    config = yaml.safe_load(CONFIG.read_text())
    rules = {tuple(r["source_matchers"]): r for r in config["inhibit_rules"]}
    assert rules[('alertname="RatApiDown"',)]["target_matchers"] == ['depends_on="ratd"']
    critical = rules[('severity="critical"', 'slo=""')]  # an SLO page mutes no cause's warning
    assert critical["target_matchers"] == ['severity="warning"']
    assert critical["equal"] == ["service"]
    fast = rules[('burn="fast"',)]  # an SLO's fast burn mutes its slow one, paging or not
    assert fast["target_matchers"] == ['burn="slow"']
    assert fast["equal"] == ["slo"]
    # Everything read through ratd's health endpoints depends on ratd, so RatApiDown silences it;
    # Nessie, probed directly under ratd-0.2, does not.
    through_ratd = {
        GUIDE: {"RatPostgresDown", "RatMinioDown", "RatRunnerDown", "RatRatqUnhealthy", "RatNessieDown"},
        RATD_0_2: {"RatPostgresDown", "RatS3Down", "RatRunnerDown", "RatQueryDown", "RatPostgresPoolSaturated"},
    }
    for profile, names in through_ratd.items():
        defs = load_alerting(REPO / "alerts", attrs.evolve(settings, profile=profile))
        dependent = {a.name for a in defs.alerts if a.labels.get("depends_on") == "ratd"}
        assert names <= dependent
        assert profile == GUIDE or "RatNessieDown" not in dependent
        # What ratd's health endpoints report holds only while ratd answers: no race with RatApiDown.
        probed = [a for a in defs.alerts if a.name in dependent and "probe_success" in a.expr]
        assert probed and all(while_ratd_answers() in a.expr for a in probed)


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


def _matches(matchers: list[str], labels: dict[str, str]) -> bool:
    """Alertmanager's `name="value"` matchers, the only form the generated file uses; an absent
    label matches the empty value."""
    pairs = [m.split("=", 1) for m in matchers]
    return all(labels.get(name, "") == value.strip('"') for name, value in pairs)


def test_minio_down_is_one_page(settings: Settings) -> None:
    """MinIO down: ratd's RatS3Down pages; every alert of MinIO's own metrics, and both MinIO
    jobs' RatScrapeTargetDown, is a warning of service minio that the critical-over-warning rule
    holds back while it fires; alone, each is a ticket (amtool routes it to the chat)."""
    config = yaml.safe_load(CONFIG.read_text())
    (rule,) = [r for r in config["inhibit_rules"] if r["source_matchers"] == ['severity="critical"', 'slo=""']]
    defs = load_alerting(REPO / "alerts", settings)
    (down,) = [a for a in defs.alerts if a.name == "RatS3Down"]
    source = {"alertname": down.name, **down.static_labels}
    assert _matches(rule["source_matchers"], source)
    own = [a for a in defs.alerts if a.name.startswith("RatMinio")]
    assert {a.name for a in own} >= {"RatMinioNodeOffline", "RatMinioDriveOffline", "RatMinioCapacityLow"}
    jobs = [j for j in defs.scrape_jobs if "minio" in j.metrics_path]
    assert len(jobs) == 2, "the cluster and the node endpoint"
    # RatScrapeTargetDown names each job's service: the node endpoint's is MinIO's too.
    target_down = [
        {"alertname": "RatScrapeTargetDown", "severity": "warning", "service": j.service or j.name} for j in jobs
    ]
    assert {t["service"] for t in target_down} == {"minio"}
    for labels in [{"alertname": a.name, **a.static_labels} for a in own] + target_down:
        assert _matches(rule["target_matchers"], labels), labels
        assert all(labels.get(name) == source.get(name) for name in rule["equal"]), labels
        assert route(*(f"{k}={v}" for k, v in labels.items())) == "team-chat"
