"""generated/ is replaced whole or not at all, and one generator runs at a time."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from monitoring_as_code import writer
from monitoring_as_code.errors import DefinitionError
from tests.conftest import MacRunner, edit, tree_bytes


def test_swap_replaces_the_whole_tree(tmp_path: Path) -> None:
    target = tmp_path / "generated"
    writer.write_files({"old.yml": "old\n", "keep/a.yml": "a\n"}, target)
    staging = writer.stage({"keep/a.yml": "new\n"}, target)
    writer.swap_in(staging, target)
    assert tree_bytes(target) == {"keep/a.yml": b"new\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


def test_a_fault_while_writing_leaves_generated_as_it_was(
    project: Path, mac: MacRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(project / "monitoring.yaml", "  disk_usage_percent: 90", "  disk_usage_percent: 95")
    before = tree_bytes(project / "generated")
    calls = {"n": 0}
    real_open = open

    def failing_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if "w" in mode and ".generated-" in str(file):
            calls["n"] += 1
            if calls["n"] == 10:  # mid-way through the files
                raise OSError(28, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    result = mac(project, "generate")
    monkeypatch.undo()
    assert result.exit_code == 2
    assert "cannot write the new tree: No space left on device" in result.stderr
    assert calls["n"] == 10
    assert tree_bytes(project / "generated") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".generated-")) == []


def test_a_fault_during_the_swap_leaves_generated_as_it_was(
    project: Path, mac: MacRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(project / "monitoring.yaml", "  disk_usage_percent: 90", "  disk_usage_percent: 95")
    before = tree_bytes(project / "generated")

    def failing_exchange(a: Path, b: Path) -> bool:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(writer, "_exchange", failing_exchange)
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Input/output error" in result.stderr
    assert tree_bytes(project / "generated") == before


def test_a_second_generator_waits_then_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    target = tmp_path / "generated"
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer.locked(target):
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    heard: list[str] = []
    try:
        with (
            pytest.raises(DefinitionError, match="another run holds the lock"),
            writer.locked(target, wait=0.3, on_wait=heard.append),
        ):
            pass
    finally:
        release.set()
        thread.join()
    assert len(heard) == 1 and "another run is writing" in heard[0]
    with writer.locked(target, wait=0.3):  # free again
        pass


def test_two_concurrent_generators_both_finish_and_agree(project: Path) -> None:
    before = tree_bytes(project / "generated")
    command = [sys.executable, "-m", "monitoring_as_code", "--root", str(project), "generate"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(timeout=120), run.stderr.read() if run.stderr else "") for run in runs]
    assert [code for code, _ in results] == [0, 0], results
    assert tree_bytes(project / "generated") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".generated-")) == []
