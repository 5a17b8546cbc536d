"""Every external tool runs under `limits.tool_timeout`: a tool that never returns is killed,
with its children, and the run stops with one line naming the tool and the file (exit 2)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MacRunner, edit, tree_bytes

SLEEP = "7777"  # a duration no other process here sleeps, to find leftovers by


def _hanging_tool(folder: Path, name: str) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\nsleep {SLEEP} &\nexec sleep {SLEEP}\n")  # a child too
    script.chmod(0o755)


def _sleepers() -> list[str]:
    result = subprocess.run(["pgrep", "-f", f"sleep {SLEEP}"], capture_output=True, text=True, check=False)
    return result.stdout.split()


@pytest.mark.parametrize(
    ("tool", "command", "message"),
    [
        ("promtool", "validate", "error: prometheus/prometheus.yml: promtool timed out after 1s"),
        ("amtool", "generate", "error: alertmanager/alertmanager.yml: amtool timed out after 1s"),
    ],
)
def test_a_tool_that_never_returns_is_stopped(
    project: Path, mac: MacRunner, monkeypatch: pytest.MonkeyPatch, tool: str, command: str, message: str
) -> None:
    assert shutil.which(tool), f"{tool} must be installed (make test installs it)"
    _hanging_tool(project / "bin", tool)
    monkeypatch.setenv("PATH", f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}")
    edit(project / "monitoring.yaml", "  tool_timeout: 5m", "  tool_timeout: 1s")
    before = tree_bytes(project / "generated")
    result = mac(project, command)
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    assert first == f"{message} (limits.tool_timeout in monitoring.yaml)"
    assert "Traceback" not in result.output
    assert _sleepers() == []
    assert tree_bytes(project / "generated") == before
