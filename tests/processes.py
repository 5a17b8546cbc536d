"""Running `mac` as the operator does, and finding what it left running: each test names its own
marker (its project's path, a sleep of a duration no other test uses), so that tests running at
the same time, on a loaded machine, never see each other's processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

WAIT = 120.0  # seconds: a generous bound for a run on a loaded machine, never a timing assertion


def mac_process(root: Path, *args: str, env: dict[str, str] | None = None, **popen: object) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "monitoring_as_code", "--root", str(root), *args]
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **popen
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=WAIT)
    return process.returncode, stdout, stderr


def running(marker: str) -> list[int]:
    """The live processes whose command line holds `marker` (a zombie's is empty), but this one."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in command:
            found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def none_left(marker: str) -> None:
    """No process with `marker` survives: a killed process may take a moment to go."""
    wait_for(lambda: not running(marker), f"the processes of {marker!r} to end: {running(marker)}")


def definitions_loading(project: Path) -> None:
    """Wait for `mac` on `project` to fork the definitions' process (it cannot write a file to
    say so: isolation.py)."""
    wait_for(lambda: len(running(str(project))) >= 2, "the definitions' process to start")
