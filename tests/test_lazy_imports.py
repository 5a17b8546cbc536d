"""A command imports only what it uses: `mac --help` none of the engine, `mac list` no lint rules,
pipeline or writer, `mac diff` no definitions loader front, lint rules, pipeline, settings (beyond
its time limit) nor output units. Each command runs in a fresh interpreter, which then names the
modules it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = """
import json, sys
from monitoring_as_code.cli import main
try:
    main.main(sys.argv[1:], prog_name="mac", standalone_mode=False)
except SystemExit:
    pass
print("\\nMODULES " + json.dumps(sorted(sys.modules)))
"""
ENGINE = "monitoring_as_code."


def imported(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, "--root", str(REPO), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=120,
    )
    return set(json.loads(result.stdout.rsplit("\nMODULES ", 1)[1]))


@pytest.mark.parametrize(
    ("args", "not_imported"),
    [
        (("--help",), ("pipeline", "loading", "loader", "lint", "outputs.registry", "grafanalib", "jsonschema")),
        (("list",), ("pipeline", "lint.run", "writer", "verify", "diff.run")),
        (
            ("diff", "--from", "generated", "--to", "generated"),
            ("pipeline", "loading", "lint.run", "writer", "verify", "settings", "outputs.registry", "jsonschema"),
        ),
    ],
    ids=["help", "list", "diff"],
)
def test_a_command_imports_only_what_it_uses(args: tuple[str, ...], not_imported: tuple[str, ...]) -> None:
    modules = imported(*args)
    assert f"{ENGINE}cli" in modules
    names = [name if name in ("grafanalib", "jsonschema") else ENGINE + name for name in not_imported]
    assert [name for name in names if name in modules] == []


def test_list_loads_no_other_profile(tmp_path: Path) -> None:
    """`mac list` shows the chosen profile only: the other profiles' definitions are not loaded
    (the runbook, which shows them, is not rendered)."""
    from monitoring_as_code import loading
    from monitoring_as_code.project import Project

    project = Project(REPO, REPO / "monitoring.yaml")
    assert loading.load(project, other_profiles=False).other_profiles == ()
    assert loading.load(project).other_profiles, "rendering the runbook loads them"
