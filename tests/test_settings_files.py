"""Settings files are read only when they are small regular files: a FIFO or a device would hang
the reader or exhaust memory. Each is one line and exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.yamlfile import MAX_SETTINGS_BYTES
from tests.conftest import TEST_PROFILE, MacRunner


def _refused(mac: MacRunner, project: Path, settings: Path, message: str) -> None:
    result = mac(project, "--settings", str(settings), "generate")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {settings}: {message}\n"


def test_a_fifo_is_refused_without_waiting_for_a_writer(project: Path, mac: MacRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "monitoring.yaml"
    os.mkfifo(fifo)
    _refused(mac, project, fifo, "is a FIFO, socket or device, not a regular file")


def test_dev_zero_is_refused(project: Path, mac: MacRunner) -> None:
    _refused(mac, project, Path("/dev/zero"), "is a FIFO, socket or device, not a regular file")


def test_a_directory_is_refused(project: Path, mac: MacRunner, tmp_path: Path) -> None:
    _refused(mac, project, tmp_path, "is a directory, not a regular file")


def test_a_huge_file_is_refused(project: Path, mac: MacRunner, tmp_path: Path) -> None:
    huge = tmp_path / "monitoring.yaml"
    huge.write_text(TEST_PROFILE.read_text() + "#" * MAX_SETTINGS_BYTES)
    _refused(mac, project, huge, "larger than 1024 KiB; not a settings file")


def test_a_symlink_to_the_settings_is_read(tmp_path: Path) -> None:
    link = tmp_path / "monitoring.yaml"
    link.symlink_to(TEST_PROFILE)
    assert load_settings(link).thresholds == load_settings(TEST_PROFILE).thresholds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb:\n  c: 2\n  c: 3\n", "line 4: duplicate key 'c', first given on line 3"),
        ("a: &x 1\n", "line 1: YAML anchors and aliases (&x) are not accepted; write the value out"),
        ("a: [1, 2]\nb: {<<: 1}\nc: 1\nc: 2\n", "line 4: duplicate key 'c', first given on line 3"),
    ],
    ids=["nested", "anchor", "after a flow mapping"],
)
def test_yaml_duplicates_and_anchors_are_refused_anywhere(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "monitoring.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}: {message}"


def test_verify_reads_only_regular_files_too(project: Path, mac: MacRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "metrics.txt"
    os.mkfifo(fifo)
    for source in (fifo, Path("/dev/zero")):
        result = mac(project, "verify", "--metrics-file", str(source))
        assert result.exit_code == 2
        assert result.stderr == f"error: {source}: is a FIFO, socket or device, not a regular file\n"


# Run in a fresh interpreter: an audit hook cannot be removed, and the imports must be counted too.
_AUDITED_LOAD = """
import sys
from pathlib import Path
events = []
sys.addaudithook(lambda event, args: events.append((event, args)))
from monitoring_as_code.outputs.registry import load_settings
load_settings(Path(sys.argv[1]))
import monitoring_as_code
engine = str(Path(monitoring_as_code.__file__).parent)
import zoneinfo
code = (*sys.path[1:], *zoneinfo.TZPATH)  # the interpreter's and engine's files, the time zones business hours name
for event, args in events:
    if event.startswith(("subprocess.", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.fork")):
        print("ran", event, args[0] if args else "")
    elif event == "open" and isinstance(args[0], str) and not args[0].startswith((engine, *code)):
        print("read", args[0])
"""


def test_loading_settings_runs_nothing_and_reads_only_the_settings_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    settings = tmp_path / "monitoring.yaml"
    settings.write_text(TEST_PROFILE.read_text().replace("# file: ../rat/", "file: ../rat/"))  # named, unread
    result = subprocess.run(
        [sys.executable, "-c", _AUDITED_LOAD, str(settings)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"read {settings}"]
