"""The commands as an operator uses them: generate, check, validate, list."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, MacRunner, edit, profile_project, tree_bytes


def test_generate_reproduces_the_committed_output_byte_for_byte(site_project: Path, mac: MacRunner) -> None:
    committed = tree_bytes(REPO / "generated")
    result = mac(site_project, "generate")
    assert result.exit_code == 0, result.output
    first = tree_bytes(site_project / "generated")
    assert first == committed
    assert mac(site_project, "generate").exit_code == 0
    assert tree_bytes(site_project / "generated") == first


def test_check_passes_on_the_repository(mac: MacRunner) -> None:
    result = mac(REPO, "check")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_check_fails_with_a_diff_after_an_edit_without_regenerating(project: Path, mac: MacRunner) -> None:
    edit(project / "monitoring.yaml", "  disk_usage_percent: 90", "  disk_usage_percent: 95")
    result = mac(project, "check")
    assert result.exit_code == 1
    assert "--- generated/prometheus/rules/host.yml" in result.output
    changed = [line for line in result.output.splitlines() if line.startswith("+        expr: 100 * (1 - node_f")]
    assert len(changed) == 2  # the rule file and the alert's isolated test rule file
    assert all(line.endswith("> 95") for line in changed)
    assert "out of date" in result.stderr


def test_check_reports_missing_and_extra_files(project: Path, mac: MacRunner) -> None:
    (project / "generated/prometheus/rules/api.yml").unlink()
    (project / "generated/stray.yml").write_text("x: 1\n")
    result = mac(project, "check")
    assert result.exit_code == 1
    assert "+++ generated/prometheus/rules/api.yml (rendered)" in result.output
    assert "--- generated/stray.yml" in result.output


def test_check_names_an_extra_empty_file(project: Path, mac: MacRunner) -> None:
    (project / "generated/empty.yml").write_text("")
    result = mac(project, "check")
    assert result.exit_code == 1
    assert "--- generated/empty.yml\n+++ /dev/null\n(an empty file)" in result.output


def test_validate_catches_a_hand_edited_rule(project: Path, mac: MacRunner) -> None:
    assert mac(project, "validate").exit_code == 0
    edit(project / "generated/prometheus/rules/api.yml", "probe_success{", "probe_success{{")
    result = mac(project, "validate")
    assert result.exit_code == 2
    assert "error: prometheus/rules: promtool check rules failed" in result.stderr


def test_validate_catches_a_rule_file_the_config_names_but_lacks(project: Path, mac: MacRunner) -> None:
    """`promtool check config` runs with --syntax-only (the secret files exist only where
    Prometheus runs): the rule files the config names are checked present apart."""
    (project / "generated/prometheus/rules/api.yml").unlink()
    result = mac(project, "validate")
    assert result.exit_code == 2
    assert "error: prometheus/rules/api.yml: missing" in result.stderr


def test_validate_runs_the_unit_tests(project: Path, mac: MacRunner) -> None:
    # A condition no probe can meet in the rule under test: the firing scenario must fail.
    rule = project / "generated/prometheus/tests/rules/RatApiDown.yml"
    edit(rule, "} == 0", "} == 2")
    result = mac(project, "validate")
    assert result.exit_code == 2
    assert "promtool test rules failed" in result.stderr
    assert "alertname: RatApiDown" in result.stderr


def test_list_shows_the_inventory(mac: MacRunner) -> None:
    result = mac(profile_project(), "list")
    assert result.exit_code == 0
    assert "ratd                 ratd:8080/metrics" in result.output
    assert "critical  RatApiDown" in result.output
    assert "service:container_memory_working_set_bytes:sum" in result.output
    assert result.output.startswith("profile: ")
    slos = result.output.split("slos (", 1)[1].split("recording rules", 1)[0].splitlines()[1:]
    assert slos and all(" over " in line and "% " in line for line in slos), slos


def test_runs_as_a_module_and_reports_a_missing_tool(project: Path) -> None:
    # PATH without promtool & co: one line saying how to install, non-zero exit.
    env = {**os.environ, "PATH": str(project)}
    result = subprocess.run(
        [sys.executable, "-m", "monitoring_as_code", "--root", str(project), "validate"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "not found on PATH; install it with: apt-get install" in result.stderr


def test_debug_shows_the_traceback(project: Path, mac: MacRunner) -> None:
    (project / "alerts/zz_broken.py").write_text("raise RuntimeError('boom')\n")
    try:
        mac(project, "--debug", "generate")
    except Exception as exc:
        assert "boom" in str(exc)
    else:
        raise AssertionError("--debug should let the error through")
