"""Definitions run in a confined child process (monitoring_as_code/isolation.py): whatever a
definition does to its process, `mac` ends with exit 2 and one line naming the module, generated/
and the settings are byte-identical, and no process of the run survives it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitoring_as_code import sandbox
from tests.conftest import edit, tree_bytes
from tests.processes import finished, mac_process, none_left, running

LANDLOCK = pytest.mark.skipif(not sandbox.landlock_abi(), reason="this kernel has no Landlock")

# (what the definition does, its source in alerts/zz_hostile.py, the message after the file name)
ROWS = [
    (
        "os._exit(0) in define()",
        "import os\n\ndef define(settings):\n    os._exit(0)\n",
        "line 4: define() called os._exit(0); a definition only returns objects",
    ),
    (
        "os._exit(7) at import",
        "import os\nos._exit(7)\n",
        "line 2: import called os._exit(7); a definition only returns objects",
    ),
    (
        "posix._exit(7), past the patched os._exit",
        "import posix\nposix._exit(7)\n",
        "import ended the definitions' process (exit 7); a definition only returns objects",
    ),
    (
        "SIGALRM ignored, alarm(0), setitimer(0), then a loop",
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nsignal.alarm(0)\n"
        "signal.setitimer(signal.ITIMER_REAL, 0)\nwhile True:\n    pass\n",
        "line *: import still running after 2s, stopped (limits.definition_timeout)",
    ),
    (
        "a loop catching BaseException",
        "import time\nwhile True:\n    try:\n        time.sleep(0.01)\n    except BaseException:\n        pass\n",
        "import still running after 2s, stopped (limits.definition_timeout)",
    ),
    (
        "SIGTERM to its own process",
        "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n",
        "import ended the definitions' process (killed by SIGTERM); a definition only returns objects",
    ),
    (
        "sys.stderr = None, then raises",
        "import sys\nsys.stderr = None\nraise ValueError('broken')\n",
        "line 3: import failed: ValueError: broken",
    ),
    (
        "fds 1 and 2 closed, then raises",
        "import os\nos.close(1)\nos.close(2)\nraise ValueError('broken')\n",
        "line 4: import failed: ValueError: broken",
    ),
    (
        "a Popen left running",
        "import subprocess\nsubprocess.Popen(['sleep', '{unique}'])\n",
        "import left a process running (pid *); a definition only returns objects",
    ),
    (
        "a daemon: fork, fork, the middle one exits",
        "import os, time\nif os.fork() == 0:\n    if os.fork() == 0:\n"
        "        os.execvp('sleep', ['sleep', '{unique}'])\n    os._exit(0)\nos.wait()\n",
        "import left a process running (pid *); a definition only returns objects",
    ),
    (
        "a new session, out of the process group",
        "import os\nos.setsid()\n",
        "line 2: import failed: PermissionError: [Errno 1] Operation not permitted",
    ),
]


def _hostile_project(project: Path, source: str) -> None:
    edit(project / "monitoring.yaml", "  definition_timeout: 30s", "  definition_timeout: 2s")
    (project / "alerts/zz_hostile.py").write_text(source)


@pytest.mark.parametrize(("source", "message"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_whatever_a_definition_does_to_its_process_is_exit_2_and_one_line(
    project: Path, source: str, message: str, request: pytest.FixtureRequest
) -> None:
    unique = f"{4000 + ROWS.index(next(r for r in ROWS if r[1] == source)):d}.{abs(hash(str(project))) % 997}"
    _hostile_project(project, source.replace("{unique}", unique))
    before, settings = tree_bytes(project / "generated"), (project / "monitoring.yaml").read_bytes()
    code, _, stderr = finished(mac_process(project, "generate"))
    assert code == 2, stderr
    assert stderr.count("\n") == 1, stderr
    prefix = f"error: {project}/alerts/zz_hostile.py: "
    assert stderr.startswith(prefix)
    expected_start, _, expected_end = message.partition("*")
    shown = stderr[len(prefix) : -1]
    assert shown.startswith(expected_start) and shown.endswith(expected_end), shown
    assert tree_bytes(project / "generated") == before
    assert (project / "monitoring.yaml").read_bytes() == settings
    none_left(str(project))
    none_left(f"sleep {unique}")


@LANDLOCK
@pytest.mark.parametrize(
    ("source", "denied"),
    [
        ("import shutil\nshutil.rmtree('generated')\n", "PermissionError: [Errno 13] Permission denied"),
        ("open('monitoring.yaml', 'a').write('x')\n", "PermissionError: [Errno 13] Permission denied"),
        ("import os\nos.rename('generated', 'elsewhere')\n", "PermissionError: [Errno 13] Permission denied"),
        ("import os\nos.chmod('generated', 0)\n", "PermissionError: [Errno 1] Operation not permitted"),
        (
            "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
            "PermissionError: [Errno 1] Operation not permitted",
        ),
    ],
    ids=["rmtree generated", "append to the settings", "rename generated", "chmod generated", "kill mac"],
)
def test_a_definition_cannot_change_the_project_or_signal_mac(project: Path, source: str, denied: str) -> None:
    """A relative path reaches the project (the child works in mac's folder); Landlock and
    seccomp refuse the change."""
    _hostile_project(project, source)
    before, settings = tree_bytes(project / "generated"), (project / "monitoring.yaml").read_bytes()
    code, _, stderr = finished(mac_process(project, "generate", cwd=project))
    assert code == 2
    assert stderr.count("\n") == 1 and "alerts/zz_hostile.py: line " in stderr and denied in stderr, stderr
    assert tree_bytes(project / "generated") == before
    assert (project / "monitoring.yaml").read_bytes() == settings
    none_left(str(project))


def test_the_definitions_still_print_and_cache_bytecode(project: Path) -> None:
    """A definition's print goes to stderr (never into `mac list`'s output), and the child writes
    the definitions' bytecode, the one place it may write."""
    (project / "alerts/zz_chatty.py").write_text(
        "print('hello from a definition')\n\ndef define(settings):\n    return []\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code, stdout, stderr = finished(mac_process(project, "list", env=environment))
    assert code == 0, stderr
    assert "hello from a definition" in stderr and "hello" not in stdout
    assert list((project / "alerts/__pycache__").glob("zz_chatty.*.pyc"))
    assert not running(str(project))


def test_the_layers_this_machine_offers_are_applied(tmp_path: Path) -> None:
    """What docs/hardening.md promises on a kernel with Landlock, as the child sees it."""
    from monitoring_as_code import isolation

    def layers() -> object:
        yield isolation._Child.layers  # what the child applied

    (applied,) = isolation.run(layers, (), timeout=60)
    assert "subreaper" in applied and "seccomp" in applied
    if sandbox.landlock_abi():
        assert f"landlock-{sandbox.landlock_abi()}" in applied
