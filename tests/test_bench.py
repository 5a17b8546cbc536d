"""`make bench` measures the engine through its own API: a small synthetic project must still go
through bench/render.py, so an engine change that breaks the benchmark fails here, not on the day
someone measures (the timings themselves are bench's, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
