"""Every signal that ends a run (SIGTERM, SIGHUP, SIGQUIT) ends it as Ctrl-C does: the tools'
process groups killed, no staging folder left, generated/ byte-identical, exit 128+signal and one
line; after a SIGKILL the next run cleans up. Closed streams and a strict umask change nothing."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import tree_bytes
from tests.processes import definitions_loading, finished, mac_process, none_left, running, wait_for

ENDING = [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT]


def _unique(project: Path, number: int) -> str:
    """A sleep duration no other test's process has."""
    return f"{number}.{abs(hash(str(project))) % 997}"


def _slow_tools(tmp_path: Path, unique: str) -> tuple[dict[str, str], Path]:
    """An environment whose promtool tells it started, then sleeps `unique` seconds; tool records
    kept in this test's own runtime folder."""
    folder, started = tmp_path / "slow-tools", tmp_path / "tool-started"
    folder.mkdir()
    tool = folder / "promtool"
    tool.write_text(f"#!/bin/sh\ntouch {started}\nexec sleep {unique}\n")
    tool.chmod(0o755)
    return {**_own_runtime(tmp_path), "PATH": f"{folder}:{os.environ['PATH']}"}, started


def _own_runtime(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "runtime").mkdir(exist_ok=True)
    return {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path / "runtime")}


def _staging(project: Path) -> list[Path]:
    return list(project.glob(".generated-*"))


@pytest.mark.parametrize("signum", ENDING, ids=[s.name for s in ENDING])
def test_a_signal_during_validation_kills_the_tools_and_leaves_generated_as_it_was(
    project: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    unique = _unique(project, 5000 + signum)
    environment, started = _slow_tools(tmp_path, unique)
    before = tree_bytes(project / "generated")
    process = mac_process(project, "generate", env=environment)
    wait_for(started.exists, "promtool to start")
    process.send_signal(signum)
    code, _, stderr = finished(process)
    assert code == 128 + signum
    assert stderr == f"error: interrupted by {signum.name}; generated/ is as it was\n"
    assert tree_bytes(project / "generated") == before
    assert not _staging(project)
    none_left(f"sleep {unique}")
    none_left(str(project))


# Validators in threads: the first runs a tool that sleeps, the second takes the signal in its own
# thread (raise_signal), as the kernel may hand it to any thread; the main thread waits on the first.
_TAKEN_BY_A_WORKER = """
import signal, sys, time
from pathlib import Path
from monitoring_as_code import cli
from monitoring_as_code.errors import Interrupted
from monitoring_as_code.validate import tools, validators

def sleeping(tree):
    tools.run_command("sleep", ["sleep", sys.argv[2]], tree, "sleeping")

def signalled(tree):
    time.sleep(1)  # the main thread is asleep on the first validator by now
    signal.raise_signal(int(sys.argv[1]))

signal.signal(int(sys.argv[1]), cli._on_signal)
try:
    validators.validate_tree(Path(sys.argv[3]), (sleeping, signalled))
except Interrupted as exc:
    sys.exit(128 + exc.signum)
"""


@pytest.mark.parametrize("signum", ENDING, ids=[s.name for s in ENDING])
def test_a_signal_taken_by_a_validators_thread_still_ends_the_run(tmp_path: Path, signum: signal.Signals) -> None:
    unique = _unique(tmp_path, 5100 + signum)
    script = [sys.executable, "-c", _TAKEN_BY_A_WORKER, str(int(signum)), unique, str(tmp_path)]
    process = subprocess.Popen(script, env=_own_runtime(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        code, _, stderr = finished(process)
        assert (code, stderr) == (128 + signum, "")
        none_left(f"sleep {unique}")
    finally:  # a hang fails the test, and leaves nothing running
        process.kill()
        for pid in running(f"sleep {unique}"):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", ENDING, ids=[s.name for s in ENDING])
def test_a_signal_while_the_definitions_load_kills_their_process(
    project: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    (project / "alerts/zz_slow.py").write_text("import time\ntime.sleep(600)\n")
    before = tree_bytes(project / "generated")
    process = mac_process(project, "generate", env=_own_runtime(tmp_path))
    definitions_loading(project)
    process.send_signal(signum)
    code, _, stderr = finished(process)
    assert code == 128 + signum
    assert stderr == f"error: interrupted by {signum.name}; generated/ is as it was\n"
    assert tree_bytes(project / "generated") == before
    none_left(str(project))


def test_after_a_sigkill_the_next_run_ends_the_orphaned_tools_and_removes_the_staging_folder(
    project: Path, tmp_path: Path
) -> None:
    unique = _unique(project, 5900)
    environment, started = _slow_tools(tmp_path, unique)
    before = tree_bytes(project / "generated")
    process = mac_process(project, "generate", env=environment)
    wait_for(started.exists, "promtool to start")
    process.kill()
    process.communicate(timeout=60)
    assert running(f"sleep {unique}"), "SIGKILL cannot be handled: the tool is orphaned"
    assert _staging(project)
    code, _, stderr = finished(mac_process(project, "generate", env=_own_runtime(tmp_path)))
    assert (code, stderr) == (0, "")
    none_left(f"sleep {unique}")
    assert not _staging(project)
    assert tree_bytes(project / "generated") == before


def _shell(command: str, project: Path) -> subprocess.CompletedProcess[str]:
    mac = f"{sys.executable} -m monitoring_as_code --root {project}"
    return subprocess.run(command.format(mac=mac), shell=True, capture_output=True, text=True, timeout=120, check=False)


def test_a_closed_stdout_is_exit_2_and_one_line_before_anything_is_done(project: Path) -> None:
    before = tree_bytes(project / "generated")
    for command in ("list", "generate"):
        result = _shell(f"{{mac}} {command} >&-", project)
        assert (result.returncode, result.stderr) == (2, "error: stdout is closed; send it to a file or /dev/null\n")
    assert tree_bytes(project / "generated") == before


def test_a_closed_stderr_hides_only_the_messages(project: Path) -> None:
    result = _shell("{mac} list 2>&-", project)
    assert result.returncode == 0 and result.stdout.startswith("profile: ")
    (project / "alerts/zz_broken.py").write_text("raise ValueError('broken')\n")
    before = tree_bytes(project / "generated")
    result = _shell("{mac} generate 2>&-", project)
    assert (result.returncode, result.stdout) == (2, "")
    assert tree_bytes(project / "generated") == before


def test_generated_is_readable_by_the_containers_whatever_the_umask(project: Path) -> None:
    result = _shell("umask 077; {mac} generate", project)
    assert result.returncode == 0, result.stderr
    generated = project / "generated"
    modes = {p.relative_to(project): stat.S_IMODE(p.stat().st_mode) for p in [generated, *generated.rglob("*")]}
    assert {m for p, m in modes.items() if (project / p).is_dir()} == {0o755}
    assert {m for p, m in modes.items() if (project / p).is_file()} == {0o644}
