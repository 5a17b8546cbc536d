"""Every external tool runs under `limits.tool_timeout`: a tool that never returns is killed,
with its children, and the run stops with one line naming the tool and the file (exit 2)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import MacRunner, edit, tree_bytes

# Durations no other process here sleeps, one per test (they run side by side), to find leftovers by.
SLEEPS = {"promtool": "7771", "amtool": "7772", "ctrl-c": "7773"}


def _hanging_tool(folder: Path, name: str, sleep: str) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\nsleep {sleep} &\nexec sleep {sleep}\n")  # a child too
    script.chmod(0o755)


def _sleepers(sleep: str) -> list[str]:
    result = subprocess.run(["pgrep", "-f", f"sleep {sleep}"], capture_output=True, text=True, check=False)
    return result.stdout.split()


@pytest.mark.parametrize(
    ("tool", "command", "limit", "message"),
    [
        # promtool's first run is `check config`: nothing else runs before it.
        ("promtool", "validate", "5s", "error: prometheus/prometheus.yml: promtool timed out after 5s"),
        # amtool runs beside the real promtool's tests: their verdicts are in the cache first (a run
        # with the real tools), so that amtool runs alone and the limit need not cover them.
        ("amtool", "generate", "5s", "error: alertmanager/alertmanager.yml: amtool timed out after 5s"),
    ],
)
def test_a_tool_that_never_returns_is_stopped(
    project: Path, mac: MacRunner, monkeypatch: pytest.MonkeyPatch, tool: str, command: str, limit: str, message: str
) -> None:
    assert shutil.which(tool), f"{tool} must be installed (make test installs it)"
    if tool == "amtool":  # the real promtool's verdicts, cached (above)
        assert mac(project, "generate").exit_code == 0
    _hanging_tool(project / "bin", tool, SLEEPS[tool])
    monkeypatch.setenv("PATH", f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}")
    edit(project / "monitoring.yaml", "  tool_timeout: 5m", f"  tool_timeout: {limit}")
    before = tree_bytes(project / "generated")
    result = mac(project, command)
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    assert first == f"{message} (limits.tool_timeout in monitoring.yaml)"
    assert "Traceback" not in result.output
    assert _sleepers(SLEEPS[tool]) == []
    assert tree_bytes(project / "generated") == before


def test_ctrl_c_stops_a_running_tool_at_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_folder = project / "bin"
    _hanging_tool(bin_folder, "promtool", SLEEPS["ctrl-c"])
    started = project / "promtool-started"
    script = bin_folder / "promtool"
    script.write_text(script.read_text().replace("#!/bin/sh\n", f"#!/bin/sh\ntouch {started}\n"))
    env = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "monitoring_as_code", "--root", str(project), "validate"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert time.monotonic() - interrupted < 10  # not the 5 minutes of limits.tool_timeout
    assert _sleepers(SLEEPS["ctrl-c"]) == []
