"""Every recipe of the docs (the "Adding ..." and "Changing ..." sections of docs/*.md), performed
step by step on a copy of the project as an operator has it, then `make generate`, `mac check`,
`make lint` and the tests the recipe touches, run on that copy with the copy's own engine. The steps
are parsed out of the docs, so a recipe and its test cannot drift apart: a code block in a recipe
that is no step fails here.

A step is a paragraph ending in one of these, followed by a fenced block:
  Create `PATH`:                                     the block is the new file
  At the end of `PATH`:                              the block is appended
  In `PATH`, after the line `LINE`:                  inserted after the one line that is LINE ("in" after a colon)
  In `PATH`, before the line `LINE`:                 inserted before it
  In `PATH`, replace the line `LINE` with:           the block replaces it
  Run:                                               a shell block, run in the project folder
("In" may be "in" after a colon; LINE is compared without its leading and trailing blanks, and must
occur exactly once.)

The whole suite per recipe would be 9 times `make test`; each recipe runs the test files that read
what it changes instead (RECIPES below says which and why). None runs the end-to-end stacks (minutes
per profile, and `make test` runs them): a new alert's or SLO's behaviour is proven by its promtool
scenarios, which `make generate` runs.

Recipes that compose are performed in turn on one copy, as an operator adds one thing after another
(CHAINS): each is committed before the next, so each one's own checks see its change alone, and the
copy, the tools' verdicts on unchanged files and the tests' generated trees serve them all. A test
file runs once per chain, after the last of its recipes that reads it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
import yaml

from tests.conftest import REPO, SHARED

pytestmark = pytest.mark.recipes  # run by `make test` like every test; `pytest -m recipes` alone

DOCS = REPO / "docs"
_HEADING = re.compile(r"^(#{2,3}) ((?:Adding|Changing) .+)$", re.MULTILINE)
_FENCE = re.compile(r"^( *)```([\w-]*)\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)
_LINE = r"(?P<q>`+) ?(?P<line>.+?) ?(?P=q)"
_DIRECTIVES = (
    ("create", re.compile(r"Create `(?P<path>[^`]+)`:$")),
    ("append", re.compile(r"At the end of `(?P<path>[^`]+)`:$")),
    ("after", re.compile(rf"[Ii]n `(?P<path>[^`]+)`, after the line {_LINE}[^`]*:$")),
    ("before", re.compile(rf"[Ii]n `(?P<path>[^`]+)`, before the line {_LINE}[^`]*:$")),
    ("replace", re.compile(rf"[Ii]n `(?P<path>[^`]+)`, replace the line {_LINE} with:$")),
    ("run", re.compile(r"(?:^|[.:] )Run:$")),
)


@attrs.frozen
class Step:
    action: str
    text: str
    path: str | None = None
    line: str | None = None


def _paragraph_before(text: str) -> str:
    """The paragraph just above a fenced block, as one line, without its list number."""
    paragraph = text.rstrip().rsplit("\n\n", 1)[-1]
    return re.sub(r"^\d+\. ", "", " ".join(line.strip() for line in paragraph.splitlines()))


def parse_steps(section: str, where: str) -> list[Step]:
    steps, start = [], 0
    for fence in _FENCE.finditer(section):
        sentence = _paragraph_before(section[start : fence.start()])
        indent = fence.group(1)
        text = "".join(line.removeprefix(indent) for line in fence.group(3).splitlines(keepends=True))
        for action, pattern in _DIRECTIVES:
            match = pattern.search(sentence)
            if match:
                found = match.groupdict()
                steps.append(Step(action, text, found.get("path"), found.get("line")))
                break
        else:
            raise AssertionError(f"{where}: a code block that is no step, after {sentence!r}")
        start = fence.end()
    return steps


def recipes() -> dict[str, tuple[str, list[Step]]]:
    """Recipe title -> (the doc page, its steps), from every page of docs/."""
    found: dict[str, tuple[str, list[Step]]] = {}
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for heading in _HEADING.finditer(text):
            level = len(heading.group(1))
            end = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(text, heading.end())
            section = text[heading.end() : end.start() if end else len(text)]
            where = f"{page.name}: {heading.group(2)}"
            assert heading.group(2) not in found, f"{where}: a second recipe of that name"
            found[heading.group(2)] = (page.name, parse_steps(section, where))
    return found


def _sh(root: Path, script: str) -> subprocess.CompletedProcess[str]:
    # The copy's engine and tests, as an editable install of the copy would import them.
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True, text=True, check=False
    )


def _ok(root: Path, script: str, recipe: str = "") -> str:
    result = _sh(root, script)
    after = f"after {recipe!r}: " if recipe else ""
    assert result.returncode == 0, f"{after}$ {script}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def _only_line(lines: list[str], wanted: str, path: str) -> int:
    hits = [i for i, line in enumerate(lines) if line.strip() == wanted.strip()]
    assert len(hits) == 1, f"{path}: the line {wanted!r} occurs {len(hits)} times"
    return hits[0]


def perform(root: Path, step: Step) -> None:
    if step.action == "run":
        _ok(root, step.text)
        return
    assert step.path is not None
    path = root / step.path
    if step.action == "create":
        assert not path.exists(), f"{step.path} exists already"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(step.text)
        return
    text = path.read_text()
    if step.action == "append":
        path.write_text(text + ("" if text.endswith("\n") else "\n") + step.text)
        return
    lines = text.splitlines(keepends=True)
    assert step.line is not None
    at = _only_line(lines, step.line, step.path)
    new = step.text.splitlines(keepends=True)
    if step.action == "after":
        lines[at + 1 : at + 1] = new
    elif step.action == "before":
        lines[at:at] = new
    else:
        lines[at : at + 1] = new
    path.write_text("".join(lines))


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """Every file of the project as in this work tree (generated/ included), committed to a git
    repository of its own; the virtualenv and ../shared shared, the engine the checkout's own."""
    root = tmp_path / "checkout"
    listed = _ok(REPO, "git ls-files --cached --others --exclude-standard").splitlines()
    for relative in listed:
        if (REPO / relative).is_file():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / relative, root / relative)
    (root / ".venv").symlink_to(REPO / ".venv")
    stamp = REPO / ".venv/.installed"  # make must not reinstall the shared virtualenv from the copy
    if stamp.exists():
        os.utime(root / "pyproject.toml", ns=(stamp.stat().st_atime_ns, stamp.stat().st_mtime_ns))
    if SHARED.is_dir():  # the references the copy's tests read in place, beside the clone as here
        (tmp_path / SHARED.name).symlink_to(SHARED)
    _ok(root, "git init -q && git add -A && git -c user.name=op -c user.email=op@example.com commit -qm 'as it is'")
    return root


# --- what each recipe must have done, beyond generate, check, lint and its tests ----------------------


def _json(root: Path, relative: str) -> dict:
    return json.loads((root / "generated" / relative).read_text())


def _panel(dashboard: dict, title: str) -> dict:
    return next(p for p in dashboard["panels"] if p["title"] == title)


def _alerts(root: Path, group: str) -> dict[str, dict]:
    rules = yaml.safe_load((root / f"generated/prometheus/rules/{group}.yml").read_text())["groups"][0]["rules"]
    return {r["alert"]: r for r in rules if "alert" in r}


def _changed_a_threshold(root: Path) -> None:
    assert "> 85" in _alerts(root, "host")["RatHostDiskFull"]["expr"]
    assert "generated/docs/alerts.md" in _ok(root, "git status --porcelain generated/")  # the runbook too


def _added_an_alert(root: Path) -> None:
    assert _alerts(root, "runtime")["RatSchedulerIdle"]["for"] == "10m"
    tests = (root / "generated/prometheus/tests/RatSchedulerIdle.yml").read_text()
    assert "fires when dispatching stops" in tests and "silent while schedules dispatch" in tests
    assert "RatSchedulerIdle" in (root / "generated/docs/alerts.md").read_text()
    assert _ok(root, "git status --porcelain monitoring_as_code") == ""  # no engine edit


def _added_a_threshold(root: Path) -> None:
    goroutines = _panel(_json(root, "grafana/dashboards/rat-overview.json"), "Goroutines")
    steps = goroutines["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[-1] == {"color": "orange", "value": 10000}


def _added_a_panel(root: Path) -> None:
    panel = _panel(_json(root, "grafana/dashboards/rat-overview.json"), "GC Cycles")
    assert panel["type"] == "timeseries" and "$__rate_interval" in panel["targets"][0]["expr"]


def _added_a_panel_type(root: Path) -> None:
    panel = _panel(_json(root, "grafana/dashboards/rat-overview.json"), "Postgres Pools")
    assert panel["type"] == "bargauge" and panel["options"]["displayMode"] == "gradient"


def _added_an_slo(root: Path) -> None:
    assert {"RatRunnerAvailabilityFastBurn", "RatRunnerAvailabilitySlowBurn"} <= set(_alerts(root, "slo-runner"))
    slos = _json(root, "grafana/dashboards/rat-slos.json")
    assert "runner-availability: objective" in {p["title"] for p in slos["panels"]}


def _added_a_lint_rule(root: Path) -> None:
    counted = re.compile(r"no lint problems \((\d+) rules\)")
    before = int(counted.search(_ok(REPO, ".venv/bin/mac lint")).group(1))
    assert counted.search(_ok(root, ".venv/bin/mac lint")).group(1) == str(before + 1)


def _added_an_output(root: Path) -> None:
    rules = root / "generated/rules-file/rat.rules.yml"
    groups = {g["name"] for g in yaml.safe_load(rules.read_text())["groups"]}
    assert {"runtime", "host", "slo-api"} <= groups
    rules.write_text(rules.read_text().replace("expr: ", "expr: sum(", 1))  # PromQL promtool refuses
    result = _sh(root, ".venv/bin/mac validate")
    assert result.returncode == 2 and "promtool check rules" in result.stderr, result.stderr


def _added_a_profile(root: Path) -> None:
    assert "ratd-0.3" in _ok(root, ".venv/bin/mac list").splitlines()[0]
    assert {"RatApiHighLatency", "RatPostgresPoolSaturated"} <= set(_alerts(root, "requests")) | set(
        _alerts(root, "runtime")
    )


@attrs.frozen
class Recipe:
    tests: tuple[str, ...]  # the test files (or tests) of the copy that read what the recipe changes
    why: str
    done: Callable[[Path], None]


RECIPES = {
    "Changing a threshold": Recipe(
        ("tests/test_cli.py",),
        "the one test reading the site's monitoring.yaml (generate reproduces the committed tree) is there",
        _changed_a_threshold,
    ),
    "Adding a threshold": Recipe(
        ("tests/test_grafana.py",),
        "the dashboards of every profile, rendered from tests/profile.yaml, against Grafana's schemas",
        _added_a_threshold,
    ),
    "Adding an alert": Recipe(
        ("tests/test_alerting_content.py", "tests/test_runbook.py"),
        "the rules, routing and runbook rendered from tests/profile.yaml (which needs the thresholds too)",
        _added_an_alert,
    ),
    "Adding a lint rule": Recipe(
        ("tests/lint",), "the rules' cases and the registry of documented rules", _added_a_lint_rule
    ),
    "Adding a panel": Recipe(
        ("tests/test_grafana.py",), "every panel against Grafana's official schemas", _added_a_panel
    ),
    "Adding a panel type": Recipe(
        ("tests/test_grafana.py", "tests/lint/test_dashboard_rules.py", "tests/test_previews.py"),
        "the new type's panel against Grafana's official schema of that type, the dashboard rules, and the "
        "previews that draw it",
        _added_a_panel_type,
    ),
    "Adding an SLO": Recipe(
        ("tests/test_slo.py", "tests/lint/test_slo_rules.py", "tests/test_grafana.py"),
        "the SLOs of every profile from tests/profile.yaml (which needs the objective too), their lint, and "
        "the SLO dashboard's panels",
        _added_an_slo,
    ),
    "Adding an output": Recipe(
        ("tests/test_outputs.py", "tests/test_imports.py"),
        "the outputs' contract (units, registry, sections) and no import circle in the engine",
        _added_an_output,
    ),
    "Adding a profile": Recipe(
        ("tests/test_alerting_content.py", "tests/test_grafana.py"),
        "every profile's rules, runbook and dashboards (the runbook lists the other profiles' tables)",
        _added_a_profile,
    ),
}


# The recipes in turn on one copy each; "Adding a panel" and "Adding a panel type" edit the same lines
# of the overview's test, so they are in different chains. "Adding a profile" switches the copy to
# the new profile: last.
CHAINS = (
    ("Adding a panel", "Adding a threshold", "Adding an alert", "Adding a lint rule", "Changing a threshold"),
    ("Adding a panel type", "Adding an SLO", "Adding an output", "Adding a profile"),
)


def test_every_recipe_in_the_docs_is_performed_here() -> None:
    assert set(recipes()) == set(RECIPES)
    performed = [title for chain in CHAINS for title in chain]
    assert sorted(performed) == sorted(RECIPES), "each recipe in exactly one chain"


def runs_after(chain: tuple[str, ...]) -> dict[str, list[str]]:
    """Recipe -> the test files to run after it: each file after the last recipe that reads it."""
    last = {test: title for title in chain for test in RECIPES[title].tests}
    return {title: [test for test in RECIPES[title].tests if last[test] == title] for title in chain}


@pytest.mark.parametrize("chain", CHAINS, ids=[" + ".join(chain) for chain in CHAINS])
def test_recipes_as_written(checkout: Path, chain: tuple[str, ...]) -> None:
    runs = runs_after(chain)
    for title in chain:
        _, steps = recipes()[title]
        for step in steps:
            perform(checkout, step)
        _ok(checkout, "make generate", title)
        _ok(checkout, ".venv/bin/mac check", title)
        _ok(checkout, "make lint", title)
        RECIPES[title].done(checkout)
        if runs[title]:
            _ok(checkout, f"{sys.executable} -m pytest -q -x -p no:cacheprovider {' '.join(runs[title])}", title)
        _ok(checkout, f"git add -A && git -c user.name=op -c user.email=op@example.com commit -qm {title!r}")
