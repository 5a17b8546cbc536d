"""The verdict cache: a warm run runs no tool; a changed byte, another tool, a corrupt entry and
--no-cache each run the tool again; a failure is never stored. Counted by the tool runs the
runner records (tools.RUNS), never by timing. Each test has its own XDG_CACHE_HOME (conftest)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from monitoring_as_code.validate import tools, verdicts
from tests.conftest import MacRunner

TEST_FILE = "prometheus/tests/AlertmanagerNotificationsFailing.yml"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


@pytest.fixture
def project(project: Path, own_cache_folder: Path) -> Path:
    """The project copy, with a cold cache (making the copy may have generated, under this test's
    cache folder)."""
    shutil.rmtree(own_cache_folder / "monitoring-as-code", ignore_errors=True)
    return project


def tool_runs(mac: MacRunner, root: Path, *args: str) -> list[str]:
    """The tools `mac ARGS validate` runs over files (not counting the questions for their
    version, asked once per process); it must pass."""
    before = len(tools.RUNS)
    result = mac(root, *args, "validate")
    assert result.exit_code == 0, result.output
    return [name for name in tools.RUNS[before:] if not name.endswith(" --version")]


def entries(cache: Path) -> list[Path]:
    folder = cache / "monitoring-as-code" / "verdicts"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_warm_run_runs_no_tool(mac: MacRunner, project: Path, own_cache_folder: Path) -> None:
    cold = tool_runs(mac, project)
    assert {"promtool", "amtool", "prometheus-blackbox-exporter", "docker-compose"} <= set(cold)
    assert entries(own_cache_folder), "the passes are stored in the user's cache folder"
    assert tool_runs(mac, project) == []
    assert not list(project.rglob("*verdict*")), "nothing of the cache goes into the project"


def test_a_changed_byte_runs_the_tool_that_reads_it(mac: MacRunner, project: Path) -> None:
    tool_runs(mac, project)
    test_file = project / "generated" / TEST_FILE
    test_file.write_text(test_file.read_text() + "# one more byte\n")
    again = tool_runs(mac, project)
    assert "promtool" in again
    assert "prometheus-blackbox-exporter" not in again, "its config did not change"


def test_another_tool_runs_again(mac: MacRunner, project: Path, tmp_path: Path, monkeypatch) -> None:
    tool_runs(mac, project)
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    wrapper = wrappers / "promtool"
    wrapper.write_text(
        f'#!/bin/sh\n[ "$1" = --version ] && {{ echo "promtool, version 9.9.9"; exit 0; }}\nexec {PROMTOOL} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrappers}{os.pathsep}{os.environ['PATH']}")
    assert tool_runs(mac, project).count("promtool") >= 3, "another promtool: its config, rules and tests"
    assert tool_runs(mac, project) == [], "the wrapper's passes are reused"
    os.utime(wrapper, ns=(1, 1))  # the same path, another binary identity
    assert "promtool" in tool_runs(mac, project)


def test_a_corrupt_entry_is_a_miss(mac: MacRunner, project: Path, own_cache_folder: Path) -> None:
    cold = tool_runs(mac, project)
    for entry in entries(own_cache_folder):
        data = entry.read_bytes()
        entry.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # the same length, one bit off
    assert sorted(tool_runs(mac, project)) == sorted(cold)
    for entry in entries(own_cache_folder):
        entry.write_bytes(entry.read_bytes()[:-2])  # a killed writer's truncated entry
    assert sorted(tool_runs(mac, project)) == sorted(cold)


def test_a_failing_verdict_is_not_stored(mac: MacRunner, project: Path) -> None:
    test_file = project / "generated" / TEST_FILE
    test_file.write_text(test_file.read_text().replace("severity: critical", "severity: info", 1))
    for _ in range(2):
        before = len(tools.RUNS)
        result = mac(project, "validate")
        assert result.exit_code == 2, result.output
        assert "promtool test rules failed" in result.output
        assert "promtool" in tools.RUNS[before:], "the failure is found by the tool each time"


def test_no_cache_runs_every_tool_and_stores_nothing(mac: MacRunner, project: Path, own_cache_folder: Path) -> None:
    assert "promtool" in tool_runs(mac, project, "--no-cache")
    assert entries(own_cache_folder) == []
    tool_runs(mac, project)
    assert "promtool" in tool_runs(mac, project, "--no-cache"), "a warm cache is not read either"


def test_the_folder_is_bounded_oldest_first(own_cache_folder: Path) -> None:
    verdicts.use(True)  # as `mac` without --no-cache sets it
    for number in range(4):
        verdicts.write(f"entry{number}", b"x" * 1000)
        os.utime(verdicts.folder() / f"entry{number}", (number, number))
    assert verdicts.read("entry0") == b"x" * 1000  # a read makes it the most recently used
    verdicts.evict(limit=2500)
    assert sorted(p.name for p in entries(own_cache_folder)) == ["entry0", "entry3"]
