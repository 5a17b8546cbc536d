"""Shared fixtures: the repository, a throw-away copy of it, and the CLI."""

from __future__ import annotations

import re
import shutil
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
from monitoring_as_code.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("alerts", "slos", "dashboards", "services", "generated", "monitoring.yaml")
# What the lint rules' own tests select: the exporters' metrics and ratd's as the guide wrote them.
GUIDE_CATALOG = EXPORTER_METRICS + tuple(GUIDE_RATD_METRICS)


GUIDE, RATD_0_2 = "guide", "ratd-0.2"
PROFILES = (RATD_0_2, GUIDE)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(REPO / "monitoring.yaml")


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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the definitions, settings and generated/ that a test may break."""
    root = tmp_path / "project"
    root.mkdir()
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, root / part)
    return root


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
