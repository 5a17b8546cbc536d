"""The exit-code contract (README, "Exit codes"), one test per code, run as the operator runs
`mac`: 0 fine, 1 drift or blind, 2 bad input / a finding / an unusable environment / a timeout,
3 a missing tool, 130 interrupted, 141 the reader of stdout gone. No traceback without --debug."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring_as_code import pipeline
from tests.conftest import MacRunner, edit, tree_bytes
from tests.processes import definitions_loading, finished, mac_process


def test_0_when_all_is_well(project: Path) -> None:
    code, stdout, stderr = finished(mac_process(project, "generate"))
    assert (code, stderr) == (0, "")
    assert "generated" in stdout


def test_1_only_for_drift(project: Path) -> None:
    edit(project / "monitoring.yaml", "  disk_usage_percent: 90", "  disk_usage_percent: 95")
    code, _, stderr = finished(mac_process(project, "check"))
    assert code == 1
    assert "out of date" in stderr


def test_2_for_bad_input_with_one_line(project: Path) -> None:
    (project / "alerts/zz_broken.py").write_text("import sys\nsys.exit(1)\n")
    before = tree_bytes(project / "generated")
    for command in ("generate", "check", "lint", "list"):
        code, stdout, stderr = finished(mac_process(project, command))
        assert code == 2, (command, stdout, stderr)
        assert stderr == "error: alerts/zz_broken.py: line 2: import failed: SystemExit: 1\n".replace(
            "alerts/", f"{project}/alerts/"
        )
    assert tree_bytes(project / "generated") == before


def test_2_and_one_line_for_anything_unexpected(project: Path, mac: MacRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(bundle: pipeline.Bundle) -> dict[str, str]:
        raise LookupError("a bug of ours")

    monkeypatch.setattr(pipeline, "render", broken)
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert result.stderr == "error: unexpected LookupError: a bug of ours (run with --debug for the traceback)\n"
    with pytest.raises(LookupError):
        mac(project, "--debug", "generate")


def test_3_for_a_missing_tool(project: Path) -> None:
    code, _, stderr = finished(mac_process(project, "validate", env={**os.environ, "PATH": str(project)}))
    assert code == 3
    assert stderr.count("\n") == 1
    assert "not found on PATH; install it with: apt-get install" in stderr


def test_130_when_interrupted_and_nothing_is_lost(project: Path) -> None:
    (project / "alerts/zz_slow.py").write_text("import time\ntime.sleep(60)\n")
    before = tree_bytes(project / "generated")
    process = mac_process(project, "generate")
    definitions_loading(project)
    process.send_signal(signal.SIGINT)
    code, _, stderr = finished(process)
    assert code == 130
    assert stderr == "error: interrupted; generated/ is as it was\n"
    assert tree_bytes(project / "generated") == before


def test_a_thread_left_running_by_a_definition_neither_hangs_nor_passes(project: Path) -> None:
    (project / "alerts/zz_thread.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(3600,), name='poller').start()\n"
    )
    code, _, stderr = finished(mac_process(project, "generate"))  # finished() waits at most 120 s
    assert code == 2
    assert stderr.endswith(
        "alerts/zz_thread.py: import left a thread running (poller); a definition only returns objects\n"
    )


def test_a_definition_that_changes_directory_is_bad_input(project: Path, mac: MacRunner) -> None:
    cwd = os.getcwd()
    (project / "alerts/zz_cd.py").write_text("import os\nos.chdir('/')\n")
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "alerts/zz_cd.py: import changed the working directory; a definition only returns objects\n"
    )
    assert os.getcwd() == cwd


@pytest.mark.parametrize("args", [("list",), ("lint",)])
def test_141_and_no_message_when_the_reader_leaves(project: Path, args: tuple[str, ...]) -> None:
    """`mac list | head -1` where head has left before mac writes: mac ends quietly, as shells
    report a tool ended by SIGPIPE, rather than with an error about a broken pipe. (A reader that
    leaves after mac's output fits in the pipe changes nothing: exit 0, as for `cat`.)"""
    reader, writer = os.pipe()
    os.close(reader)
    command = [sys.executable, "-m", "monitoring_as_code", "--root", str(project), *args]
    try:
        result = subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    finally:
        os.close(writer)
    assert (result.returncode, result.stderr) == (141, "")


def test_2_for_a_usage_error(project: Path) -> None:
    code, _, stderr = finished(mac_process(project, "no-such-command"))
    assert code == 2
    assert "No such command 'no-such-command'" in stderr
