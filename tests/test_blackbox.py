"""The health probes, run by the real blackbox_exporter against stand-ins for ratd's health
endpoints in the shapes RAT's guides document: the guide's /health (guide profile) and ratd 0.2's
/health/live and /health/ready (ratd-0.2 profile, rat-monitoring-current.md)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from monitoring_as_code import pipeline
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose.unit import PATHS
from monitoring_as_code.render.blackbox import render_blackbox_config
from monitoring_as_code.serialize import to_yaml
from monitoring_as_code.validate.blackbox import check_probers
from tests.conftest import GUIDE, PROFILES, RATD_0_2, profile_project
from tests.sim.rat import send_json, serving

SUBSYSTEMS = ("postgres", "minio", "nessie", "runner", "ratq")
READY_CHECKS = ("postgres", "s3", "runner", "query")  # /health/ready's keys (rat-monitoring-current.md)


class FakeRatd(BaseHTTPRequestHandler):
    """Serves /health as the guide shows it; `unhealthy` subsystems report "unhealthy" (503)."""

    unhealthy: ClassVar[set[str]] = set()
    pretty = False

    def do_GET(self) -> None:
        services = {s: ("unhealthy" if s in self.unhealthy else "healthy") for s in SUBSYSTEMS}
        body = {"status": "degraded" if self.unhealthy else "ok", "services": services}
        send_json(self, 503 if self.unhealthy else 200, body, 2 if self.pretty else None)

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ratd() -> Iterator[str]:
    with serving(FakeRatd) as base:
        yield f"{base}/health"


@pytest.fixture(scope="module")
def blackbox_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every profile's modules in one file (their names differ), rendered from the definitions."""
    modules: dict[str, object] = {}
    for profile in PROFILES:
        project = pipeline.Project(profile_project(), profile_project() / "monitoring.yaml")
        modules.update(render_blackbox_config(pipeline.load(project, profile=profile).alerting)["modules"])
    path = tmp_path_factory.mktemp("blackbox") / "blackbox.yml"
    path.write_text(to_yaml({"modules": modules}, "test"))
    return path


@pytest.fixture(scope="module")
def blackbox(blackbox_config: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            "prometheus-blackbox-exporter",
            f"--config.file={blackbox_config}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/-/healthy", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("blackbox_exporter did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def probe(blackbox: str, module: str, target: str) -> float:
    with urllib.request.urlopen(f"{blackbox}/probe?module={module}&target={target}", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("probe_success "):
                return float(line.split()[1])
    raise AssertionError("no probe_success in the exporter's answer")


@pytest.mark.parametrize("pretty", [False, True], ids=["compact-json", "indented-json"])
def test_each_subsystem_probe_follows_only_its_subsystem(blackbox: str, ratd: str, pretty: bool) -> None:
    FakeRatd.pretty = pretty
    FakeRatd.unhealthy = {"postgres"}
    try:
        results = {s: probe(blackbox, f"rat_health_{s}", ratd) for s in SUBSYSTEMS}
    finally:
        FakeRatd.unhealthy = set()
    # /health answers 503 while degraded: the healthy subsystems' probes still succeed.
    assert results == {"postgres": 0, "minio": 1, "nessie": 1, "runner": 1, "ratq": 1}


def test_all_probes_succeed_when_healthy(blackbox: str, ratd: str) -> None:
    assert all(probe(blackbox, f"rat_health_{s}", ratd) == 1 for s in SUBSYSTEMS)
    assert probe(blackbox, "http_2xx", ratd + "/live") == 1


def test_probes_fail_when_ratd_is_unreachable(blackbox: str) -> None:
    target = f"http://127.0.0.1:{free_port()}/health"
    assert probe(blackbox, "rat_health_postgres", target) == 0
    assert probe(blackbox, "http_2xx", target) == 0


def test_unknown_prober_passes_the_exporters_check_but_not_ours(tmp_path: Path) -> None:
    (tmp_path / "blackbox").mkdir()
    config = tmp_path / "blackbox/blackbox.yml"
    config.write_text("modules:\n  broken:\n    prober: tcpx\n    timeout: 5s\n")
    exporter = subprocess.run(
        ["prometheus-blackbox-exporter", f"--config.file={config}", "--config.check"], capture_output=True, check=False
    )
    assert exporter.returncode == 0  # why our own check exists
    with pytest.raises(DefinitionError, match="prober 'tcpx' is not one of"):
        check_probers(tmp_path, PATHS.blackbox_config)


class FakeRatd02(BaseHTTPRequestHandler):
    """ratd 0.2: /health/live always `{"status":"ok",...}`; /health/ready with one object per
    configured dependency, 503 and an `error` string while one fails."""

    failing: ClassVar[set[str]] = set()
    configured: ClassVar[tuple[str, ...]] = READY_CHECKS
    pretty = False
    error_first = False  # the key order inside a failed check is not documented: try both

    def do_GET(self) -> None:
        if self.path == "/health/ready":
            checks = {}
            for key in self.configured:
                if key in self.failing:
                    failed = {"status": "error", "error": f'dial tcp {key}: connection refused {{"status":"ok"}}'}
                    checks[key] = dict(reversed(failed.items())) if self.error_first else failed
                else:
                    checks[key] = {"status": "ok"}
            code, body = (503, "not_ready") if self.failing else (200, "ready")
            self._json(code, {"status": body, "checks": checks})
        elif self.path in ("/health", "/health/live"):
            self._json(200, {"status": "ok", "version": "0.2.0", "git_commit": "a1b2c3d", "go_version": "go1.24.0"})
        else:
            self._json(404, {"error": "not found"})

    def _json(self, code: int, body: object) -> None:
        send_json(self, code, body, 2 if self.pretty else None)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ratd_0_2() -> Iterator[str]:
    with serving(FakeRatd02) as base:
        yield base
    FakeRatd02.failing, FakeRatd02.configured = set(), READY_CHECKS
    FakeRatd02.pretty = FakeRatd02.error_first = False


def ready_results(blackbox: str, ratd: str) -> dict[str, float]:
    return {key: probe(blackbox, f"rat_ready_{key}", f"{ratd}/health/ready") for key in READY_CHECKS}


def test_ratd_0_2_every_probe_succeeds_when_healthy(blackbox: str, ratd_0_2: str) -> None:
    assert ready_results(blackbox, ratd_0_2) == dict.fromkeys(READY_CHECKS, 1)
    assert probe(blackbox, "http_2xx", f"{ratd_0_2}/health/live") == 1
    assert probe(blackbox, "http_2xx", f"{ratd_0_2}/health/ready") == 1


@pytest.mark.parametrize("pretty", [False, True], ids=["compact-json", "indented-json"])
@pytest.mark.parametrize("error_first", [False, True], ids=["status-first", "error-first"])
@pytest.mark.parametrize("failing", READY_CHECKS)
def test_ratd_0_2_a_failed_check_fails_its_probe_only(
    blackbox: str, ratd_0_2: str, failing: str, pretty: bool, error_first: bool
) -> None:
    FakeRatd02.failing, FakeRatd02.pretty, FakeRatd02.error_first = {failing}, pretty, error_first
    # 503 while a dependency is down: the other probes still read their own checks as ok.
    assert ready_results(blackbox, ratd_0_2) == {key: float(key != failing) for key in READY_CHECKS}
    assert probe(blackbox, "http_2xx", f"{ratd_0_2}/health/live") == 1


def test_ratd_0_2_a_dependency_not_configured_fails_no_probe(blackbox: str, ratd_0_2: str) -> None:
    FakeRatd02.configured = ("postgres", "s3", "runner")  # no ratq: no `query` check at all
    assert ready_results(blackbox, ratd_0_2) == dict.fromkeys(READY_CHECKS, 1)
    FakeRatd02.failing = {"s3"}
    assert ready_results(blackbox, ratd_0_2) == {"postgres": 1, "s3": 0, "runner": 1, "query": 1}


def test_ratd_0_2_down_fails_the_live_probe(blackbox: str) -> None:
    ratd = f"http://127.0.0.1:{free_port()}"
    assert probe(blackbox, "http_2xx", f"{ratd}/health/live") == 0
    assert ready_results(blackbox, ratd) == dict.fromkeys(READY_CHECKS, 0)


def test_each_profile_probes_its_own_endpoints() -> None:
    project = pipeline.Project(profile_project(), profile_project() / "monitoring.yaml")
    probes = {p: {x.check: x for x in pipeline.load(project, profile=p).alerting.probes} for p in PROFILES}
    # Every profile on compose: the portal and ratd's internal listener (alerts/endpoints.py).
    endpoints = {"portal", "ratd_internal"}
    assert set(probes[RATD_0_2]) == {"live", "ready", "nessie", *READY_CHECKS, *endpoints}
    assert all(probes[RATD_0_2][key].url.endswith("/health/ready") for key in READY_CHECKS)
    assert probes[RATD_0_2]["nessie"].url.endswith("/api/v2/config")
    assert set(probes[GUIDE]) == {"live", "ready", *SUBSYSTEMS, *endpoints}
    assert all(probes[GUIDE][s].url.endswith("/health") for s in SUBSYSTEMS)
    for profile in PROFILES:
        # The page RAT's compose health check of the portal fetches; the listener's unlogged liveness.
        assert probes[profile]["portal"].url == "http://portal:3000/"
        assert probes[profile]["ratd_internal"].url == "http://ratd:8090/health/live"
