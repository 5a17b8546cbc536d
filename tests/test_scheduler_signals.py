"""The scheduler as ratd runs it (ratd-0.2): the leader's tick gauges stay exposed, frozen, when its
scheduler stops or leadership moves, so a stall is gauges that stop changing and a leader is a
replica whose gauges change; cron workloads repeat daily, so the dispatch rate is compared with
the same window a day before. Each scenario below passes promtool (`mac generate` runs them) and
fails against the signal it replaces."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import MacRunner, profile_project, set_outputs

GENERATED = profile_project() / "generated/prometheus"
DISPATCHED = 'ratd_scheduler_last_tick_dispatched_total{job="ratd"}'


def _scenario_names(tests: Path, alert: str) -> set[str]:
    return {t["name"] for t in yaml.safe_load((tests / f"{alert}.yml").read_text())["tests"]}


def _promtool_with(tree: Path, alert: str, expr: str, names: set[str], tmp_path: Path) -> str:
    """promtool's output for the scenarios `names` of `alert` against `expr` instead of its rule."""
    rules = yaml.safe_load((tree / f"tests/rules/{alert}.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == alert:
                rule["expr"] = expr
    (tmp_path / "rules").mkdir()
    (tmp_path / f"rules/{alert}.yml").write_text(yaml.safe_dump(rules))
    test = yaml.safe_load((tree / f"tests/{alert}.yml").read_text())
    test["tests"] = [t for t in test["tests"] if t["name"] in names]
    assert {t["name"] for t in test["tests"]} == names
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run(
        ["promtool", "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_a_frozen_scheduler_fires_the_stall_and_a_failover_does_not() -> None:
    names = _scenario_names(GENERATED / "tests", "RatSchedulerStalled")
    assert {
        "fires when the tick gauges freeze for the window",
        "silent through a failover: the old leader's gauges frozen, the new leader's ticking",
        "silent when the gauges stand still for less than the window (a long tick)",
    } <= names
    rule = (GENERATED / "rules/scheduler_stall.yml").read_text()
    # thresholds.scheduler_stall_ticks (10) x ratd.scheduler_tick (RAT's 30s)
    assert 'changes(ratd_scheduler_last_tick_duration_seconds{job="ratd"}[5m]) > 0' in rule


def test_presence_of_the_gauges_would_miss_the_stall(tmp_path: Path) -> None:
    """What the gauges' presence tells (the scheduler ever ran) stays true when it stops."""
    expr = (
        'count by (namespace, job) (up{job="ratd"} == 1) unless on (namespace, job) '
        'count by (namespace, job) (ratd_scheduler_last_tick_duration_seconds{job="ratd"})'
    )
    output = _promtool_with(
        GENERATED, "RatSchedulerStalled", expr, {"fires when the tick gauges freeze for the window"}, tmp_path
    )
    assert "fires when the tick gauges freeze" in output


def _test_group(tests: Path, alert: str, name: str) -> dict[str, Any]:
    return next(t for t in yaml.safe_load((tests / f"{alert}.yml").read_text())["tests"] if t["name"] == name)


def _rats(group: dict[str, Any]) -> set[str]:
    """The namespaces (a RAT each) of a test group's input series."""
    return {re.search(r'namespace="([^"]+)"', s["series"])[1] for s in group["input_series"]}


STEADY = "silent for a day on steady cron workloads, every minute, hourly, daily at 02:00 (a RAT each)"


def test_steady_cron_workloads_fire_nothing_for_a_day(tmp_path: Path) -> None:
    """The day-long scenario, each workload in a RAT of its own, passes promtool at generate;
    against the 6h average it replaces (15m vs 6h), the hourly and the daily RATs fire, the
    every-minute one does not (steady at any window: the old rule was quiet on it too)."""
    group = _test_group(GENERATED / "tests", "RatSchedulerDispatchRateChange", STEADY)
    assert _rats(group) == {"every-minute", "hourly", "daily-at-02-00"}
    assert {t["eval_time"] for t in group["alert_rule_test"]} >= {"1d15m", "2d10m"}  # a whole day, judged
    per_tick = {
        w: f"sum by (namespace, job) (sum_over_time({DISPATCHED}[{w}])) / sum by (namespace, job) "
        f"(count_over_time({DISPATCHED}[{w}]))"
        for w in ("15m", "6h")
    }
    ratio = f"({per_tick['15m']}) / ({per_tick['6h']})"
    output = _promtool_with(
        GENERATED, "RatSchedulerDispatchRateChange", f"{ratio} > 3 or {ratio} < 1 / 3", {STEADY}, tmp_path
    )
    fired = set(re.findall(r'Labels:\{[^}]*namespace="([^"]+)"', output))
    assert fired == {"hourly", "daily-at-02-00"}, output[-4000:]


def test_the_dispatch_rate_still_fires_on_a_stop_and_a_rise() -> None:
    names = _scenario_names(GENERATED / "tests", "RatSchedulerDispatchRateChange")
    change = "a stop and a rise past 3x fire, a rise below it does not (a RAT each)"
    assert {change, "silent while the season before is still filling"} <= names
    group = _test_group(GENERATED / "tests", "RatSchedulerDispatchRateChange", change)
    assert _rats(group) == {"stops", "rises-past-3x", "rises-below-the-factor"}
    (judged,) = group["alert_rule_test"]
    fired = {(a["exp_labels"]["namespace"], a["exp_annotations"]["description"]) for a in judged["exp_alerts"]}
    assert fired == {
        ("stops", "The scheduler dispatches 0x per tick what it dispatched in the same 15m 1d before."),
        ("rises-past-3x", "The scheduler dispatches 6x per tick what it dispatched in the same 15m 1d before."),
    }


def test_on_a_cluster_a_leader_is_a_replica_whose_gauges_change(project: Path, mac: MacRunner, tmp_path: Path) -> None:
    set_outputs(project, "compose", "kubernetes")
    result = mac(project, "generate")  # promtool runs the cluster's scenarios too
    assert result.exit_code == 0, result.output
    tree = project / "generated/kubernetes/promtool"
    frozen = "silent through a failover (the old leader's gauges stay exposed, frozen)"
    assert frozen in _scenario_names(tree / "tests", "RatSchedulerMultipleLeaders")
    exposing = 'count by (namespace) (ratd_scheduler_last_tick_duration_seconds{job="ratd",namespace="rat"}) > 1'
    assert frozen in _promtool_with(tree, "RatSchedulerMultipleLeaders", exposing, {frozen}, tmp_path)
