"""`make bench` measures the engine through its own API: a small synthetic project must still go
through bench/render.py, so an engine change that breaks the benchmark fails here, not on the day
someone measures (the timings themselves are bench's, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from monitoring_as_code.outputs.registry import load_settings
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import synthetic


def test_bench_render_runs_on_a_small_synthetic_project(tmp_path: Path) -> None:
    root = synthetic.scale_project(REPO, tmp_path / "small", dashboards=2, alerts=20)
    result = subprocess.run(
        [sys.executable, str(REPO / "bench/render.py"), str(root), "--static"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["phases"]) == {"import", "load", "lint", "render", "write", "static validation"}
    assert report["files"] > 0


def test_bench_turns_the_previews_off_in_a_copy(tmp_path: Path) -> None:
    """The previews' cost is `mac generate` on a project against its copy without them."""
    root = synthetic.dashboards_only_project(REPO, tmp_path / "on", dashboards=2)
    off = synthetic.without_previews(root, tmp_path / "off")
    assert load_settings(root / "monitoring.yaml").grafana.previews
    assert not load_settings(off / "monitoring.yaml").grafana.previews
