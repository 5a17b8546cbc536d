"""Shared fixtures: the repository, the fixed test profile, throw-away copies of the project,
and the CLI.

Tests hold for any valid site settings: those that check the guide's content read the test
profile (`tests/profile.yaml`, a full settings file) and a tree generated from it, never the
operator's `monitoring.yaml` or the committed generated/."""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result

from alerts.profile_guide import RATD_METRICS as GUIDE_RATD_METRICS
from monitoring_as_code.catalog import EXPORTER_METRICS
from monitoring_as_code.cli import main
from monitoring_as_code.model import Alert, Firing, Runbook, Scenario
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # read-only references beside the clone, read in place


def shared(folder: Path, what: str) -> Path:
    """`folder` of ../shared, which tests read in place: CI always has it beside the clone, so
    missing there fails; a user's clone has none, so there the test is skipped."""
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{what} are missing at {folder}; CI always provides ../shared")
        pytest.skip(f"{what} are not at {folder} (../shared exists only in the workspace)")
    return folder


@pytest.fixture(autouse=True)
def own_cache_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own empty user cache folder (the verdict cache): never the real ~/.cache,
    and no test passes on a verdict another test left."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


PROJECT_PARTS = ("alerts", "slos", "dashboards", "services", "generated", "monitoring.yaml")
# What the lint rules' own tests select: the exporters' metrics and ratd's as the guide wrote them.
GUIDE_CATALOG = EXPORTER_METRICS + tuple(GUIDE_RATD_METRICS)


GUIDE, RATD_0_2 = "guide", "ratd-0.2"
PROFILES = (RATD_0_2, GUIDE)
TEST_PROFILE = Path(__file__).with_name("profile.yaml")


def copy_project(source: Path, root: Path) -> Path:
    """The definitions, settings and generated/ of `source`, copied to `root`."""
    root.mkdir(parents=True)
    for part in PROJECT_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif (source / part).exists():
            shutil.copy2(source / part, root / part)
    return root


@functools.cache
def profile_project() -> Path:
    """A copy of the project with the test profile as its monitoring.yaml and generated/ rendered
    from it, made once per test session (tests read it, never change it)."""
    scratch = Path(tempfile.mkdtemp(prefix="mac-profile-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    root = copy_project(REPO, scratch / "project")
    shutil.copy2(TEST_PROFILE, root / "monitoring.yaml")
    result = CliRunner().invoke(main, ["--root", str(root), "generate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The test profile's settings (the guide's values)."""
    return load_settings(TEST_PROFILE)


@pytest.fixture(scope="session")
def guide_settings(settings: Settings) -> Settings:
    """The site settings with the guide profile, for tests of what rat-monitoring.md specifies."""
    return attrs.evolve(settings, profile=GUIDE)


def set_profile(root: Path, profile: str) -> None:
    """Pick `profile` in the monitoring.yaml of a project copy."""
    path = root / "monitoring.yaml"
    text, count = re.subn(r"(?m)^(rat:\n(?:  #.*\n)*  profile: ).*$", rf"\g<1>{profile}", path.read_text())
    assert count == 1, f"no rat.profile in {path}"
    path.write_text(text)


def set_outputs(root: Path, *outputs: str) -> None:
    """Enable `outputs` in the monitoring.yaml of a project copy."""
    path = root / "monitoring.yaml"
    text, count = re.subn(r"(?m)^outputs:.*$", f"outputs: [{', '.join(outputs)}]", path.read_text())
    assert count == 1, f"no outputs: in {path}"
    path.write_text(text)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project under the test profile (definitions, settings, generated/), to break."""
    return copy_project(profile_project(), tmp_path / "project")


@pytest.fixture
def site_project(tmp_path: Path) -> Path:
    """A copy of the project as the operator has it: their monitoring.yaml and committed generated/."""
    return copy_project(REPO, tmp_path / "site")


MacRunner = Callable[..., Result]


@pytest.fixture
def mac() -> MacRunner:
    """Run the CLI in-process: mac(root, "generate", ...) -> click Result."""

    def run(root: Path, *args: str) -> Result:
        return CliRunner().invoke(main, ["--root", str(root), *args], catch_exceptions=False)

    return run


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its exact content."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


FIRES = Scenario("fires", {'up{job="ratd",instance="ratd:8080"}': "0x10"}, at="2m", fires=[Firing({}, 0)])
SILENT = Scenario("silent", {'up{job="ratd",instance="ratd:8080"}': "1x10"}, at="2m")


def example_alert(**overrides: Any) -> Alert:
    """A valid, lint-clean alert; tests break one field at a time."""
    fields: dict[str, Any] = {
        "name": "RatExampleDown",
        "expr": 'up{job="ratd"} == 0',
        "severity": "warning",
        "service": "ratd",
        "summary": "ratd is down",
        "description": "{{ $labels.instance }} is down (up = {{ $value | humanize }})",
        "runbook": Runbook("what it means", ["first step"]),
        "condition": "Example",
        "check": "up",
        "threshold": "== 0",
        "for_": "1m",
        "scenarios": [FIRES, SILENT],
    }
    return Alert(**{**fields, **overrides})
