"""prometheus.yml: the guide's ratd job, the probes, the exporters, rules and Alertmanager."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from monitoring_as_code.duration import format_duration
from monitoring_as_code.settings import Settings
from tests.conftest import profile_project

CONFIG = yaml.safe_load((profile_project() / "generated/prometheus/prometheus.yml").read_text())
BLACKBOX = yaml.safe_load((profile_project() / "generated/blackbox/blackbox.yml").read_text())


def job(name: str) -> dict:
    return next(j for j in CONFIG["scrape_configs"] if j["job_name"] == name)


def test_ratd_job_is_the_guides() -> None:
    assert job("ratd") == {
        "job_name": "ratd",
        "static_configs": [{"targets": ["ratd:8080"]}],
        "scrape_interval": "15s",
        "metrics_path": "/metrics",
    }


def test_exporters_and_the_stack_itself_are_scraped() -> None:
    assert job("cadvisor")["static_configs"] == [{"targets": ["cadvisor:8080"]}]
    assert job("node-exporter")["static_configs"] == [{"targets": ["node-exporter:9100"]}]
    assert job("prometheus")["static_configs"] == [{"targets": ["localhost:9090"]}]
    assert job("alertmanager")["static_configs"] == [{"targets": ["alertmanager:9093"]}]
    assert job("postgres-exporter")["static_configs"] == [{"targets": ["postgres-exporter:9187"]}]
    assert CONFIG["alerting"]["alertmanagers"][0]["static_configs"] == [{"targets": ["alertmanager:9093"]}]


def test_one_probe_per_health_endpoint_and_dependency(settings: Settings) -> None:
    """Which dependencies each profile probes is test_blackbox's; here, how they are probed: the
    per-check probes every intervals.dependency_probe, as a job of their own labelled rat-probes."""
    probes = job("rat-probes")
    checks = job(f"rat-probes-every-{format_duration(settings.intervals.dependency_probe)}")
    assert probes["metrics_path"] == checks["metrics_path"] == "/probe"
    assert checks["scrape_interval"] == format_duration(settings.intervals.dependency_probe)
    assert checks["relabel_configs"][-1] == {"target_label": "job", "replacement": "rat-probes"}
    assert {c["labels"]["check"] for c in checks["static_configs"]} == {"postgres", "s3", "runner", "query"}
    by_check = {c["labels"]["check"]: c for c in probes["static_configs"] + checks["static_configs"]}
    assert by_check["live"]["targets"] == [f"http://{settings.targets.ratd}{settings.health.live_path}"]
    assert by_check["ready"]["targets"] == [f"http://{settings.targets.ratd}{settings.health.ready_path}"]
    body_checked = [c for c in by_check.values() if c["labels"]["__param_module"] != "http_2xx"]
    assert len(body_checked) >= 4
    for config in body_checked:
        http = BLACKBOX["modules"][config["labels"]["__param_module"]]["http"]
        # 503 while a dependency is down: the body decides, through one pattern for this check.
        assert http["valid_status_codes"] == list(settings.health.valid_status_codes)
        patterns = http.get("fail_if_body_not_matches_regexp", []) + http.get("fail_if_body_matches_regexp", [])
        assert len(patterns) == 1
        assert f'"{config["labels"]["check"]}"' in patterns[0]
    assert {"target_label": "__address__", "replacement": "blackbox-exporter:9115"} in probes["relabel_configs"]


def test_scrape_timeout_fits_the_interval() -> None:
    assert CONFIG["global"] == {"scrape_interval": "15s", "scrape_timeout": "10s", "evaluation_interval": "15s"}


def _promtool_check(tmp_path: Path, cadvisor_job: dict) -> subprocess.CompletedProcess[str]:
    config = {**CONFIG, "rule_files": [], "scrape_configs": [cadvisor_job]}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    return subprocess.run(
        ["promtool", "check", "config", "prometheus.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_vanished_containers_go_stale_in_both_prometheus_versions(tmp_path: Path) -> None:
    # cAdvisor stamps its samples; with honor_timestamps false Prometheus stamps them at scrape time,
    # so a removed container's series end at the next scrape instead of 5 minutes later.
    cadvisor = job("cadvisor")
    assert cadvisor["honor_timestamps"] is False
    assert _promtool_check(tmp_path, cadvisor).returncode == 0
    # The key made for this (Prometheus 2.48+) is refused by the promtool 2.42 that checks our
    # files: when Debian's promtool accepts it, switch to it (alerts/scrape.py).
    refused = _promtool_check(tmp_path, {**cadvisor, "track_timestamps_staleness": True})
    assert refused.returncode != 0 and "track_timestamps_staleness" in refused.stdout + refused.stderr


def test_a_slow_target_keeps_its_own_interval_under_a_short_one(settings: Settings) -> None:
    """postgres-exporter needs over a second to report a down Postgres: under a 1s scrape interval
    (the e2e profile's) its job scrapes every 3s with a 3s timeout; at 15s it is like every job."""
    import attrs

    from monitoring_as_code.model import ScrapeJob
    from monitoring_as_code.render.prometheus import render_prometheus_config

    fast = attrs.evolve(settings, intervals=attrs.evolve(settings.intervals, scrape=1.0, evaluation=1.0))
    slow = ScrapeJob("postgres-exporter", ["postgres-exporter:9187"], min_interval=3.0)
    other = ScrapeJob("ratd", ["ratd:8080"])

    class Jobs:
        scrape_jobs, probes = (slow, other), ()

    def jobs(under: Settings) -> dict[str, dict]:
        config = render_prometheus_config(Jobs(), [], under)  # type: ignore[arg-type]
        return {j["job_name"]: j for j in config["scrape_configs"]}

    assert jobs(fast)["postgres-exporter"]["scrape_interval"] == "3s"
    assert jobs(fast)["postgres-exporter"]["scrape_timeout"] == "3s"
    assert jobs(fast)["ratd"]["scrape_interval"] == "1s" and "scrape_timeout" not in jobs(fast)["ratd"]
    assert jobs(settings)["postgres-exporter"]["scrape_interval"] == "15s"
    assert "scrape_timeout" not in jobs(settings)["postgres-exporter"]
