"""The health probes, run by the real blackbox_exporter against a stand-in for ratd's /health."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.validate.blackbox import check_probers
from tests.conftest import profile_project

SUBSYSTEMS = ("postgres", "minio", "nessie", "runner", "ratq")


class FakeRatd(BaseHTTPRequestHandler):
    """Serves /health as the guide shows it; `unhealthy` subsystems report "unhealthy" (503)."""

    unhealthy: ClassVar[set[str]] = set()
    pretty = False

    def do_GET(self) -> None:
        services = {s: ("unhealthy" if s in self.unhealthy else "healthy") for s in SUBSYSTEMS}
        body = {"status": "degraded" if self.unhealthy else "ok", "services": services}
        data = json.dumps(body, indent=2 if self.pretty else None).encode()
        self.send_response(503 if self.unhealthy else 200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ratd() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRatd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health"
    server.shutdown()


@pytest.fixture(scope="module")
def blackbox() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            "prometheus-blackbox-exporter",
            f"--config.file={profile_project() / 'generated/blackbox/blackbox.yml'}",
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
        check_probers(tmp_path)
