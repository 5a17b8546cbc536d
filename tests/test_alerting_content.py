"""The RAT alerting content against RAT's guides: every row of "What to Alert On" of each profile's
guide, with its threshold and severity, labels and annotations on every alert, scenarios for
every alert."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
import yaml

from monitoring_as_code.definitions import Definitions
from monitoring_as_code.loader import load_alerting
from monitoring_as_code.promql import metric_names
from monitoring_as_code.settings import Settings
from tests.conftest import GUIDE, PROFILES, RATD_0_2, REPO, MacRunner, edit, profile_project

GENERATED = profile_project() / "generated"

# The guide's tables: condition -> (alert, severity, threshold as the guide states it).
GUIDE_ROWS = {
    "API down": ("RatApiDown", "critical", "any failure"),
    "Postgres down": ("RatPostgresDown", "critical", "2+ consecutive failures"),
    "MinIO down": ("RatMinioDown", "critical", "2+ consecutive failures"),
    "Runner down": ("RatRunnerDown", "critical", "3+ consecutive failures"),
    "Disk full": ("RatHostDiskFull", "critical", "> 90%"),
    "Pipeline failures": ("RatPipelineFailures", "warning", "> 3 in 1h"),
    "High latency": ("RatApiHighLatency", "warning", "> 5 seconds"),
    "Runner queue full": ("RatRunnerQueueFull", "warning", "RUNNER_MAX_CONCURRENT"),
    "ratq unhealthy": ("RatRatqUnhealthy", "warning", "3+ consecutive failures"),
    "Memory pressure": ("RatContainerMemoryPressure", "warning", "> 85% of limit"),
    "Scheduler trigger rate": ("RatSchedulerTriggerRateChange", "info", "rate beyond"),
    "Request volume": ("RatRequestVolumeSpike", "info", "the 1h average"),
    "Backup age": ("RatBackupTooOld", "info", "> 1d"),
}
# The current guide's tables (rat-monitoring-current.md, ratd 0.2).
CURRENT_ROWS = {
    "API down": ("RatApiDown", "critical", "any failure"),
    "Postgres down": ("RatPostgresDown", "critical", "2+ consecutive failures"),
    "S3 down": ("RatS3Down", "critical", "2+ consecutive failures"),
    "Runner down": ("RatRunnerDown", "critical", "3+ consecutive failures"),
    "Postgres pool saturated": ("RatPostgresPoolSaturated", "critical", ">= 0.9"),
    "Disk full": ("RatHostDiskFull", "critical", "> 90%"),
    "Plugins unhealthy": ("RatPluginsUnhealthy", "warning", "> 0 for"),
    "Slow scheduler ticks": ("RatSchedulerSlowTicks", "warning", "> 5s"),
    "Memory growth": ("RatMemoryGrowth", "warning", "floor over 3h"),
    "query (ratq) down": ("RatQueryDown", "warning", "3+ consecutive failures"),
    "Memory pressure": ("RatContainerMemoryPressure", "warning", "> 85% of limit"),
    "Scheduler dispatch rate": ("RatSchedulerDispatchRateChange", "info", "average beyond"),
    "SSE connections": ("RatSseConnectionSpike", "info", "the 1h average"),
    "Backup age": ("RatBackupTooOld", "info", "> 1d"),
}
ROWS = {GUIDE: GUIDE_ROWS, RATD_0_2: CURRENT_ROWS}
META = ("Watchdog", "RatScrapeTargetDown", "PrometheusRuleEvaluationFailures", "AlertmanagerNotificationsFailing")


@pytest.fixture(scope="module", params=PROFILES)
def defs(request: pytest.FixtureRequest, settings: Settings) -> Definitions:
    return load_alerting(REPO / "alerts", attrs.evolve(settings, profile=request.param))


def rendered_rules() -> list[dict]:
    rules = []
    for path in sorted((GENERATED / "prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules += group["rules"]
    return rules


def test_every_guide_row_is_an_alert_with_the_guides_severity_and_threshold(defs: Definitions) -> None:
    by_name = {a.name: a for a in defs.alerts}
    for condition, (name, severity, threshold) in ROWS[defs.profile.name].items():
        alert = by_name[name]
        assert alert.condition == condition
        assert alert.severity == severity
        assert threshold in alert.threshold, (name, alert.threshold)
    assert set(META) <= set(by_name)


def test_a_profile_has_no_alert_of_the_other_guide(defs: Definitions) -> None:
    """Each profile watches what its RAT serves: none of the other guide's ratd alerts."""
    mine = {name for name, _, _ in ROWS[defs.profile.name].values()}
    others = {name for rows in ROWS.values() for name, _, _ in rows.values()} - mine
    assert not others & {a.name for a in defs.alerts}


def test_watchdog_always_fires() -> None:
    watchdog = next(r for r in rendered_rules() if r.get("alert") == "Watchdog")
    assert watchdog["expr"] == "vector(1)"
    assert "for" not in watchdog


def test_every_alert_carries_labels_and_annotations() -> None:
    runbook = (GENERATED / "docs/alerts.md").read_text()
    headings = {h.lower() for h in re.findall(r"^## (\w+)$", runbook, re.MULTILINE)}
    alerts = [r for r in rendered_rules() if "alert" in r]
    assert len(alerts) >= min(len(rows) for rows in ROWS.values()) + len(META)
    for rule in alerts:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        # `service` is a static label or produced by the expression (label_replace / by (service))
        assert "service" in rule["labels"] or "service" in rule["expr"], rule["alert"]
        annotations = rule["annotations"]
        assert set(annotations) == {"summary", "description", "runbook_url"}
        assert "$value" in annotations["description"]
        anchor = annotations["runbook_url"].split("#", 1)[1]
        assert anchor in headings, rule["alert"]


def test_thresholds_come_from_settings(defs: Definitions, settings: Settings) -> None:
    t = settings.thresholds
    exprs = {a.name: a.expr for a in defs.alerts}
    assert exprs["RatHostDiskFull"].endswith(f"> {t.disk_usage_percent:g}")
    if defs.profile.name == GUIDE:
        assert exprs["RatApiHighLatency"].endswith(f"> {t.api_p99_latency_seconds:g}")
        assert exprs["RatPipelineFailures"].endswith(f"> {t.pipeline_failures_per_hour}")
        queue = settings.runner_max_concurrent * t.runner_queue_percent / 100
        assert exprs["RatRunnerQueueFull"].endswith(f">= {queue:g}")
    else:
        assert exprs["RatPostgresPoolSaturated"].endswith(f">= {t.postgres_pool_saturation_ratio:g}")
        assert exprs["RatSchedulerSlowTicks"].endswith(f"> {t.scheduler_tick_seconds:g}")
        assert exprs["RatMemoryGrowth"].endswith(f"> {t.memory_growth_factor:g}")


def test_every_alert_has_a_firing_and_a_silent_scenario(defs: Definitions) -> None:
    for alert in defs.alerts:
        if alert.name == "Watchdog":  # it cannot be silent
            continue
        assert any(s.fires for s in alert.scenarios), alert.name
        assert any(not s.fires for s in alert.scenarios), alert.name


def test_each_test_file_loads_only_its_alert_and_the_recording_rules_it_reads(settings: Settings) -> None:
    defs = load_alerting(REPO / "alerts", settings)  # what generated/ was rendered from
    recorded = {r.name: r for r in defs.recording_rules}
    for alert in defs.alerts:
        test = yaml.safe_load((GENERATED / f"prometheus/tests/{alert.name}.yml").read_text())
        assert test["rule_files"] == [f"rules/{alert.name}.yml"]
        isolated = yaml.safe_load((GENERATED / f"prometheus/tests/rules/{alert.name}.yml").read_text())
        rules = isolated["groups"][0]["rules"]
        assert [r["alert"] for r in rules if "alert" in r] == [alert.name]
        wanted = {n for n in metric_names(alert.expr) if n in recorded}
        assert {r["record"] for r in rules if "record" in r} == wanted


SHARED_RECORDINGS = {
    GUIDE: ("job:ratd_http_request_duration_seconds:p99_rate5m", "job:ratd_http_requests:rate5m"),
    # the window now and the same window a day before (`offset`): one recording rule
    RATD_0_2: ("job:ratd_scheduler_last_tick_dispatched:avg_over_time15m",),
}


def test_recording_rules_are_shared_by_alerts(defs: Definitions) -> None:
    used = {n for a in defs.alerts for n in metric_names(a.expr)}
    for name in SHARED_RECORDINGS[defs.profile.name]:
        assert name in used


def test_rule_files_stay_outside_the_test_folder() -> None:
    config = yaml.safe_load((GENERATED / "prometheus/prometheus.yml").read_text())
    assert all(f.startswith("rules/") and "tests" not in f for f in config["rule_files"])
    on_disk = sorted(f"rules/{p.name}" for p in (GENERATED / "prometheus/rules").glob("*.yml"))
    assert config["rule_files"] == on_disk


@pytest.mark.parametrize(
    ("scrape", "evaluation", "failures"),
    [("15s", "15s", {"postgres": 4, "runner": 1}), ("30s", "15s", {"postgres": 2, "runner": 5})],
)
def test_consecutive_failures_hold_for_other_counts_and_intervals(
    project: Path, mac: MacRunner, scrape: str, evaluation: str, failures: dict[str, int]
) -> None:
    """The derived scenarios (N in a row fire, N-1 do not, isolated failures never) pass promtool
    for other N and for an evaluation interval finer than the scrape interval."""
    settings_file = project / "monitoring.yaml"
    edit(settings_file, "  scrape: 15s", f"  scrape: {scrape}")
    edit(settings_file, "  evaluation: 15s", f"  evaluation: {evaluation}")
    for name, count in failures.items():
        edit(settings_file, f"    {name}: {2 if name == 'postgres' else 3}\n", f"    {name}: {count}\n")
    result = mac(project, "generate")
    assert result.exit_code == 0, result.output
    postgres = (project / "generated/prometheus/tests/RatPostgresDown.yml").read_text()
    assert f"fires on the {failures['postgres']}. consecutive failure" in postgres
    assert f"silent after {failures['postgres'] - 1} consecutive failures" in postgres


def test_runner_and_query_alerts_say_they_check_a_tcp_dial(defs: Definitions) -> None:
    """ratd's runner and query checks only dial TCP (platform/internal/transport/health.go)."""
    if defs.profile.name != RATD_0_2:
        return
    by_name = {a.name: a for a in defs.alerts}
    for name in ("RatRunnerDown", "RatQueryDown"):
        alert = by_name[name]
        assert "TCP reachable from ratd" in alert.summary, name
        assert "TCP dial" in alert.check and "TCP connection" in alert.runbook.meaning, name
    assert "TCP" not in by_name["RatPostgresDown"].summary
