"""`make bench` measures the engine through its own API: a small synthetic project must still go
through bench/render.py, so an engine change that breaks the benchmark fails here, not on the day
someone measures (the timings themselves are bench's, never asserted here)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from monitoring_as_code.outputs.registry import load_settings
from tests.conftest import REPO, edit

sys.path.insert(0, str(REPO / "bench"))
import run as bench_run
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


def test_bench_times_mac_diff_with_amtool_told_apart(project: Path, tmp_path: Path) -> None:
    """The diff target is the cold `mac diff`'s wall time less its `--timings` phase in which amtool runs."""
    before = shutil.copytree(project / "generated", tmp_path / "before")
    edit(project / "generated/alertmanager/alertmanager.yml", "receiver: team-chat", "receiver: pager")
    command = [bench_run.MAC, "diff", "--timings", "--from", str(before), "--to", str(project / "generated")]
    result = bench_run._result("diff", command, REPO, [bench_run.run_once(command, REPO)])
    assert result.phases[bench_run.DIFF_AMTOOL_PHASE] > 0
    assert 0 < bench_run._diff_cost(result) < result.seconds
