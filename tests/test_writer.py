"""generated/ is replaced whole or not at all, and one generator runs at a time."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring_as_code import writer
from monitoring_as_code.errors import DefinitionError
from tests.conftest import MacRunner, copy_project, edit, profile_project, tree_bytes


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


# --- every state of generated/: refused before anything is staged, nothing swapped or hidden ---------


def _changed(project: Path) -> None:
    """A settings edit, so a run that went ahead would change generated/."""
    edit(project / "monitoring.yaml", "  disk_usage_percent: 90", "  disk_usage_percent: 95")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".generated"))


def _refused(mac: MacRunner, root: Path, message: str) -> None:
    result = mac(root, "generate")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert _leftovers(root) == []


@contextlib.contextmanager
def mounted(where: Path, *options: str) -> Iterator[None]:
    """`mount OPTIONS... WHERE` for the block; as root (CI is root) this must work."""
    result = subprocess.run(["mount", *options, str(where)], capture_output=True, text=True, check=False)
    if result.returncode:
        if os.environ.get("CI") == "true":
            pytest.fail(f"mount failed under CI: {result.stderr}")
        pytest.skip(f"mount is not permitted here: {result.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_a_symlinked_generated_is_refused_and_its_target_kept(project: Path, mac: MacRunner) -> None:
    real = project / "real-generated"
    (project / "generated").rename(real)
    (project / "generated").symlink_to("real-generated")
    before = tree_bytes(real)
    _changed(project)
    _refused(mac, project, "generated: is a symlink; mac writes a real directory, point the symlink's users at it")
    assert (project / "generated").is_symlink() and os.readlink(project / "generated") == "real-generated"
    assert tree_bytes(real) == before


def test_a_file_named_generated_is_refused_and_kept(project: Path, mac: MacRunner) -> None:
    shutil.rmtree(project / "generated")
    (project / "generated").write_text("not a folder\n")
    _refused(mac, project, "generated: is not a directory; move it away, mac writes a directory here")
    assert (project / "generated").read_text() == "not a folder\n"


def test_a_read_only_generated_is_refused_and_kept(project: Path, mac: MacRunner) -> None:
    before = tree_bytes(project / "generated")
    _changed(project)
    (project / "generated").chmod(0o555)
    try:
        _refused(mac, project, "generated: is read-only (mode 0555); make it writable to regenerate")
        assert stat.S_IMODE((project / "generated").stat().st_mode) == 0o555
    finally:
        (project / "generated").chmod(0o755)
    assert tree_bytes(project / "generated") == before


@pytest.mark.parametrize(
    "options", [("-t", "tmpfs", "-o", "size=4m"), ("--bind", "-o", "ro")], ids=["tmpfs", "ro-bind"]
)
def test_a_mount_point_generated_is_refused_and_kept(
    project: Path, mac: MacRunner, tmp_path: Path, options: tuple[str, ...]
) -> None:
    generated = project / "generated"
    saved = tmp_path / "saved"
    shutil.copytree(generated, saved)
    before = tree_bytes(generated)
    _changed(project)
    source = (str(saved),) if "--bind" in options else ("tmpfs",)
    with mounted(generated, *options[:-2] if "--bind" in options else options, *source):
        if "--bind" in options:
            subprocess.run(["mount", "-o", "remount,ro,bind", str(generated)], check=True)
        else:
            shutil.copytree(saved, generated, dirs_exist_ok=True)
        _refused(mac, project, "generated: is a mount point, which mac cannot replace by rename")
        assert tree_bytes(generated) == before
    assert tree_bytes(generated) == before


def test_a_full_disk_leaves_generated_as_it_was(tmp_path: Path, mac: MacRunner) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted(disk, "-t", "tmpfs", "-o", "size=4m", "tmpfs"):
        project = copy_project(profile_project(), disk / "project")
        before = tree_bytes(project / "generated")
        _changed(project)
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        (disk / "filler").write_bytes(b"\0" * (free - 64 * 1024))  # leaves 64 KiB: less than a tree
        _refused(mac, project, "cannot write the new tree: No space left on device")
        assert tree_bytes(project / "generated") == before
        (disk / "filler").unlink()
        assert mac(project, "generate").exit_code == 0  # room again: the run goes through
        assert tree_bytes(project / "generated") != before


def test_a_read_only_checkout_checks_and_validates_but_does_not_generate(
    project: Path, mac: MacRunner, tmp_path: Path
) -> None:
    view = tmp_path / "read-only"
    view.mkdir()
    with mounted(view, "--bind", str(project)):
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], check=True)
        for command in ("check", "validate", "lint", "list"):
            result = mac(view, command)
            assert result.exit_code == 0, (command, result.output)
        _refused(mac, view, "generated: is on a read-only filesystem; generate on a writable checkout")


def test_staging_leftovers_of_killed_runs_are_removed(project: Path, mac: MacRunner) -> None:
    for leftover in (".generated-k1ll3d", ".generated-old"):
        (project / leftover / "prometheus").mkdir(parents=True)
        (project / leftover / "prometheus/prometheus.yml").write_text("stale\n")
    (project / ".generated-k1ll3d/prometheus").chmod(0o555)  # even a read-only folder in one
    assert mac(project, "generate").exit_code == 0
    assert _leftovers(project) == []


def test_the_tree_has_normal_permissions(project: Path, mac: MacRunner) -> None:
    previous = os.umask(0o022)
    try:
        _changed(project)
        assert mac(project, "generate").exit_code == 0
    finally:
        os.umask(previous)
    generated = project / "generated"
    modes = {stat.S_IMODE(p.stat().st_mode) for p in [generated, *generated.rglob("*")] if p.is_dir()}
    assert modes == {0o755}
    assert {stat.S_IMODE(p.stat().st_mode) for p in generated.rglob("*") if p.is_file()} == {0o644}
