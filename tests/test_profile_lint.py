"""Every RAT profile's definitions are linted against their own profile's catalog: a typo in a
module only another profile loads (it still lands in the runbook's tables) fails `mac lint`."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import GUIDE, RATD_0_2, MacRunner, edit, set_profile

TYPO = "ratd_scheduler_runs_trigered_total"


def test_a_typo_in_another_profiles_module_fails_lint_naming_module_and_metric(mac: MacRunner, project: Path) -> None:
    set_profile(project, RATD_0_2)  # alerts/pipelines.py is a guide-profile module
    edit(project / "alerts/pipelines.py", "rate(ratd_scheduler_runs_triggered_total", f"rate({TYPO}")
    result = mac(project, "lint")
    assert result.exit_code == 2, result.output
    problems = [line for line in result.stderr.splitlines() if TYPO in line]
    assert problems, result.output
    assert all("alerts/pipelines.py" in line and "promql-unknown-metric" in line for line in problems), problems
    assert f"profile {GUIDE}" in problems[0]


def test_the_same_module_without_the_typo_lints_clean_under_either_profile(mac: MacRunner, project: Path) -> None:
    for profile in (RATD_0_2, GUIDE):
        set_profile(project, profile)
        result = mac(project, "lint")
        assert result.exit_code == 0, result.output
