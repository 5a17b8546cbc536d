"""prometheus.yml: the guide's ratd job, the probes, the exporters, rules and Alertmanager."""

from __future__ import annotations

import yaml

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
    assert CONFIG["alerting"]["alertmanagers"][0]["static_configs"] == [{"targets": ["alertmanager:9093"]}]


def test_one_probe_per_health_endpoint_and_subsystem(settings: Settings) -> None:
    probes = job("rat-probes")
    assert probes["metrics_path"] == "/probe"
    by_check = {c["labels"]["check"]: c for c in probes["static_configs"]}
    assert by_check["live"]["targets"] == ["http://ratd:8080/health/live"]
    assert by_check["ready"]["targets"] == ["http://ratd:8080/health/ready"]
    for subsystem in ("postgres", "minio", "nessie", "runner", "ratq"):
        module = by_check[subsystem]["labels"]["__param_module"]
        assert by_check[subsystem]["targets"] == ["http://ratd:8080/health"]
        http = BLACKBOX["modules"][module]["http"]
        assert http["fail_if_body_not_matches_regexp"] == [settings.health.pattern_for(subsystem)]
        assert http["valid_status_codes"] == [200, 503]
    assert {"target_label": "__address__", "replacement": "blackbox-exporter:9115"} in probes["relabel_configs"]


def test_scrape_timeout_fits_the_interval() -> None:
    assert CONFIG["global"] == {"scrape_interval": "15s", "scrape_timeout": "10s", "evaluation_interval": "15s"}
