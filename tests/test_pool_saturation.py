"""ratd's Postgres pools are judged against their cap (DB_MAX_CONNS, RAT's default 25; the heartbeat
pool's one connection), not against the connections open now (`_total` is pgxpool's TotalConns()):
5 of 5 open connections in use is no saturation while the pool can grow to 25; 23 of 25 is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from monitoring_as_code.settings import Settings
from tests.conftest import MacRunner, profile_project

TESTS = profile_project() / "generated/prometheus/tests"


def _scenarios(alert: str, tests: Path = TESTS) -> dict[str, dict]:
    return {t["name"]: t for t in yaml.safe_load((tests / f"{alert}.yml").read_text())["tests"]}


def _values(scenario: dict, metric: str) -> str:
    return next(s["values"] for s in scenario["input_series"] if s["series"].startswith(metric + "{"))


def test_the_cap_defaults_to_rats_db_max_conns(settings: Settings) -> None:
    # tests/profile.yaml has no `ratd` section: RAT's defaults (platform/internal/postgres/conn.go, main.go).
    assert (settings.ratd.db_max_conns, settings.ratd.scheduler_tick) == (25, 30.0)


def test_holds_at_5_of_5_open_and_fires_at_23_of_25() -> None:
    scenarios = _scenarios("RatPostgresPoolSaturated")
    held = scenarios["silent at 5 of 5 open connections in use (the cap is 25)"]
    assert (_values(held, "ratd_postgres_pool_acquired"), _values(held, "ratd_postgres_pool_total")) == ("5x24", "5x24")
    assert all(not e["exp_alerts"] for e in held["alert_rule_test"])
    fires = scenarios["fires at 23 of 25 connections held past its `for`"]
    assert _values(fires, "ratd_postgres_pool_acquired") == "23x24"
    assert "92%" in fires["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"]["description"]
    assert _values(scenarios["silent just below the threshold"], "ratd_postgres_pool_acquired") == "22x24"


def test_the_guides_formula_would_fire_at_5_of_5(tmp_path: Path) -> None:
    """The scenario can fail: against acquired / total (RAT's guide), 5 of 5 open fires."""
    tree = profile_project() / "generated/prometheus"
    rules = yaml.safe_load((tree / "tests/rules/RatPostgresPoolSaturated.yml").read_text())
    rule = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "RatPostgresPoolSaturated")
    rule["expr"] = 'ratd_postgres_pool_acquired{job="ratd"} / ratd_postgres_pool_total{job="ratd"} >= 0.9'
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules/RatPostgresPoolSaturated.yml").write_text(yaml.safe_dump(rules))
    test = yaml.safe_load((tree / "tests/RatPostgresPoolSaturated.yml").read_text())
    test["tests"] = [t for t in test["tests"] if t["name"].startswith("silent at 5 of 5")]
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run(
        ["promtool", "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "silent at 5 of 5" in result.stdout + result.stderr


def test_the_heartbeat_pool_fires_only_when_its_one_connection_is_held() -> None:
    scenarios = _scenarios("RatPostgresHeartbeatPoolSaturated")
    fires = scenarios["fires at 1 of 1 connections held past its `for`"]
    assert _values(fires, "ratd_postgres_heartbeat_pool_acquired") == "1x24"
    assert _values(scenarios["silent just below the threshold"], "ratd_postgres_heartbeat_pool_acquired") == "0x24"
    assert not any(name.startswith("silent at 5 of 5") for name in scenarios)


def test_an_operators_cap_moves_the_threshold_and_the_runbook_names_the_setting(project: Path, mac: MacRunner) -> None:
    settings_file = project / "monitoring.yaml"
    settings_file.write_text(settings_file.read_text() + "\nratd:\n  db_max_conns: 40\n")
    result = mac(project, "generate")  # promtool runs the scenarios
    assert result.exit_code == 0, result.output
    scenarios = _scenarios("RatPostgresPoolSaturated", project / "generated/prometheus/tests")
    assert "fires at 36 of 40 connections held past its `for`" in scenarios
    assert "silent at 5 of 5 open connections in use (the cap is 40)" in scenarios
    runbook = (project / "generated/docs/alerts.md").read_text()
    assert "`ratd.db_max_conns` in monitoring.yaml" in runbook
