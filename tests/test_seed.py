"""The stand-ins against RAT's own documents (../shared/seed), not against fixtures of ours: each
profile's ratd catalog is its guide's "Key Metrics" table, the simulated ratd 0.2 serves exactly
that, and the ratd-0.2 probes read the `/health/ready` body the current guide prints."""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from alerts.profile_guide import RATD_METRICS as GUIDE_METRICS
from alerts.profile_ratd_0_2 import RATD_METRICS as RATD_0_2_METRICS
from alerts.profile_ratd_0_2 import READY_CHECKS
from tests.conftest import REPO
from tests.sim.rat import RATD_0_2, SimulatedRat, send_json, serving
from tests.test_blackbox import blackbox, blackbox_config, probe  # noqa: F401 - the real exporter, as fixtures

SEED = REPO.parent / "shared" / "seed"
TYPES = ("counter", "gauge", "histogram", "summary")


@pytest.fixture(scope="module")
def seed() -> Path:
    if not SEED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"RAT's documents are missing at {SEED}; CI always provides ../shared")
        pytest.skip(f"RAT's documents are not at {SEED} (../shared exists only in the workspace)")
    return SEED


def key_metrics(text: str) -> dict[str, str]:
    """Metric -> type, from a guide's "Key Metrics" table (a Markdown table, or the same table
    flattened to one run of text per row, as the first guide's copy has it)."""
    section = text[text.index("Key Metrics") : text.index("Prometheus Configuration")]
    found: dict[str, str] = {}
    for line in section.splitlines():
        kinds = "|".join(TYPES)
        row = re.match(rf"^\|(.+?)\|\s*({kinds})\s*\|", line) or re.match(rf"^(ratd_\w+?)({kinds})", line)
        if row:
            for name in re.findall(r"ratd_\w+", row.group(1)):
                found[name] = row.group(2)
    return found


def test_the_guide_profile_is_the_first_guides_key_metrics(seed: Path) -> None:
    documented = key_metrics((seed / "rat-monitoring.md").read_text())
    assert {m.name: m.type for m in GUIDE_METRICS} == documented


def test_the_ratd_0_2_profile_is_the_current_guides_key_metrics(seed: Path) -> None:
    text = (seed / "rat-monitoring-current.md").read_text()
    assert {m.name: m.type for m in RATD_0_2_METRICS} == key_metrics(text)
    # "Pool, heartbeat-pool, SSE, plugin, and scheduler metrics are only emitted when the
    # corresponding subsystem is active."
    assert "only emitted when the corresponding subsystem is active" in text
    subsystems = ("ratd_postgres_", "ratd_sse_", "ratd_plugins_", "ratd_scheduler_")
    assert {m.name for m in RATD_0_2_METRICS if m.conditional} == {
        m.name for m in RATD_0_2_METRICS if m.name.startswith(subsystems)
    }


def test_the_simulated_ratd_0_2_serves_the_catalog(tmp_path: Path) -> None:
    sim = SimulatedRat(tmp_path, max_concurrent=10, profile=RATD_0_2)
    sim.start()
    try:
        exposition = generate_latest(sim.ratd_registry).decode()
    finally:
        sim.stop()
    served = {
        f.name + ("_total" if f.type == "counter" else ""): f.type for f in text_string_to_metric_families(exposition)
    }
    assert served == {m.name: m.type for m in RATD_0_2_METRICS}


def documented_ready_body(seed: Path) -> dict[str, Any]:
    """The JSON the current guide prints for `curl -s http://localhost:8080/health/ready`."""
    text = (seed / "rat-monitoring-current.md").read_text()
    after = text[text.index("curl -s http://localhost:8080/health/ready") :]
    block = re.search(r"```json[^\n]*\n(.*?)```", after, re.DOTALL)
    assert block, "no JSON response after the /health/ready example"
    return json.loads(block.group(1))


class DocumentedReady(BaseHTTPRequestHandler):
    body: ClassVar[dict[str, Any]] = {}
    code: ClassVar[int] = 200

    def do_GET(self) -> None:
        send_json(self, self.code, self.body, indent=2)  # as the guide prints it

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ready_endpoint() -> Iterator[str]:
    with serving(DocumentedReady) as base:
        yield f"{base}/health/ready"


def test_the_probes_read_the_documented_ready_body(
    seed: Path,
    blackbox: str,  # noqa: F811 - the fixture imported above
    ready_endpoint: str,
) -> None:
    body = documented_ready_body(seed)
    assert set(body["checks"]) == set(READY_CHECKS)  # the profile maps every documented key
    DocumentedReady.body, DocumentedReady.code = body, 200
    assert {key: probe(blackbox, f"rat_ready_{key}", ready_endpoint) for key in READY_CHECKS} == dict.fromkeys(
        READY_CHECKS, 1
    )
    # "Each check object has a status of "ok" or "error"; on failure it also carries an error
    # string", with 503 and status "not_ready".
    for failing in READY_CHECKS:
        broken = copy.deepcopy(body)
        broken["status"] = "not_ready"
        broken["checks"][failing] = {"status": "error", "error": "connection refused"}
        DocumentedReady.body, DocumentedReady.code = broken, 503
        results = {key: probe(blackbox, f"rat_ready_{key}", ready_endpoint) for key in READY_CHECKS}
        assert results == {key: float(key != failing) for key in READY_CHECKS}
