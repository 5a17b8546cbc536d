"""`mac generate --timings`: each phase with its seconds, on stderr (stdout says what was generated)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import MacRunner

PHASES = ("imports", "load", "lint", "render", "write (staging)", "validate (all, in parallel)", "write (swap in)")
TOOL_VALIDATORS = ("promtool.check_config", "promtool.check_rules", "promtool.test_rules", "amtool.check_config")


def test_generate_lists_each_phase_and_validator_with_its_seconds(mac: MacRunner, project: Path) -> None:
    result = mac(project, "generate", "--timings")
    assert result.exit_code == 0, result.output
    assert "timings" not in result.stdout
    lines = result.stderr.splitlines()
    assert lines[0] == "timings:"
    timed = dict(reversed(m.groups()) for m in map(re.compile(r"^ +(\d+\.\d{3}) s  (.+)$").match, lines) if m)
    for phase in (*PHASES, "total"):
        assert phase in timed, f"{phase} missing from {lines}"
    validators = [name for name in timed if name.startswith("validate ") and "(all" not in name]
    for check in TOOL_VALIDATORS:
        assert any(name.startswith(f"validate {check} ") for name in validators), f"{check} missing: {validators}"
    assert float(timed["total"]) >= float(timed["load"]) + float(timed["render"])
    assert re.fullmatch(r"  tool runs: \d+", lines[-1])


def test_without_the_flag_nothing_is_timed(mac: MacRunner, project: Path) -> None:
    result = mac(project, "generate")
    assert result.exit_code == 0, result.output
    assert "timings" not in result.stderr
