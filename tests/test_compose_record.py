"""RAT's compose, as read, committed: the record generated/compose/rat-compose.record.yml stands in
for RAT's file where it is absent (CI), and `check` names what changed in RAT's file since it.

RAT's file is the stand-in rebuilt from its Docker Compose guide (tests/fixtures/rat/infra/), put
where an operator puts RAT's checkout: beside this project's files, named by compose.rat.file."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from monitoring_as_code.cli import main
from monitoring_as_code.outputs.compose.unit import PATHS
from tests.conftest import REPO, MacRunner, copy_project, profile_project, tree_bytes

RAT_FIXTURE = Path(__file__).parent / "fixtures/rat/infra"
RAT_FILE = "rat/infra/docker-compose.yml"
RECORD = Path("generated") / PATHS.record


@pytest.fixture(scope="module")
def made_from_rats_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test profile's project with RAT's checkout beside its files, compose.rat.file naming it,
    and generated/ made from it (once: each test breaks a copy)."""
    root = copy_project(profile_project(), tmp_path_factory.mktemp("made") / "project")
    shutil.copytree(RAT_FIXTURE, root / "rat/infra")
    set_rat_file(root)
    result = CliRunner().invoke(main, ["--root", str(root), "generate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root


def set_rat_file(root: Path) -> None:
    settings_path = root / "monitoring.yaml"
    settings = yaml.safe_load(settings_path.read_text())
    settings["compose"]["rat"]["file"] = RAT_FILE
    settings_path.write_text(yaml.safe_dump(settings))


@pytest.fixture
def project(made_from_rats_file: Path, tmp_path: Path) -> Path:
    shutil.copytree(made_from_rats_file, tmp_path / "project", symlinks=True)
    return tmp_path / "project"


def edit_rat(rat_file: Path, change: Callable[[dict[str, Any]], None]) -> None:
    rat = yaml.safe_load(rat_file.read_text())
    change(rat)
    rat_file.write_text(yaml.safe_dump(rat))


def notes(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("note: ")]


def test_generate_records_what_the_override_depends_on(project: Path, mac: MacRunner) -> None:
    record = yaml.safe_load((project / RECORD).read_text())
    assert record["file"] == RAT_FILE
    assert record["services"]["ratd"]["networks"] == ["backend", "frontend"]
    assert record["services"]["minio"]["healthcheck"] is True
    assert record["override"] == "docker-compose.override.yml"  # RAT's own, beside its file
    assert record["monitoring_joins"] == ["backend"]


def test_without_rats_file_the_record_gives_the_same_tree_and_says_so_once(project: Path, mac: MacRunner) -> None:
    rat_file = project / RAT_FILE
    before = tree_bytes(project / "generated")
    shutil.rmtree(rat_file.parent.parent)  # CI: this repository, not RAT's checkout

    checked = mac(project, "check")
    assert checked.exit_code == 0, checked.output
    assert notes(checked) == [
        f"note: {RAT_FILE}: no such file here; rendering RAT's compose from the record generated/{PATHS.record}"
    ]
    generated = mac(project, "generate")
    assert generated.exit_code == 0, generated.output
    assert len(notes(generated)) == 1
    assert tree_bytes(project / "generated") == before


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda rat: rat["services"]["ratd"].update(networks=["frontend"]), "ratd left network backend"),
        (lambda rat: rat["services"]["minio"].pop("healthcheck"), "minio has no health check any more"),
    ],
    ids=["ratd moved off backend", "minio's health check removed"],
)
def test_a_change_in_rats_file_is_drift_named_in_rats_terms(
    project: Path, mac: MacRunner, change: Callable[[dict[str, Any]], None], named: str
) -> None:
    rat_file = project / RAT_FILE
    edit_rat(rat_file, change)

    checked = mac(project, "check")
    assert checked.exit_code == 1, checked.output
    assert named in checked.stderr
    assert "rat-compose.record.yml" in checked.output + checked.stderr

    assert mac(project, "generate").exit_code == 0  # refreshes the record
    assert mac(project, "check").exit_code == 0


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda r: r["services"]["minio"].update(healthcheck="yes"), "field services.minio.healthcheck"),
        (lambda r: r["services"]["ratd"].pop("networks"), "missing field services.ratd.networks"),
        (lambda r: r.update(monitoring_joins=["frontend"]), "field monitoring_joins"),
        (lambda r: r.update(format=2), "written by a newer mac (record format 2"),
    ],
    ids=["wrong type", "missing field", "inconsistent", "newer format"],
)
@pytest.mark.parametrize("rat_present", [True, False], ids=["RAT's file here", "RAT's file absent"])
def test_a_hand_edited_record_is_refused_naming_the_file_and_field(
    project: Path, mac: MacRunner, corrupt: Callable[[dict[str, Any]], None], message: str, rat_present: bool
) -> None:
    rat_file = project / RAT_FILE
    if not rat_present:
        rat_file.unlink()
    record = yaml.safe_load((project / RECORD).read_text())
    corrupt(record)
    (project / RECORD).write_text(yaml.safe_dump(record))
    before = tree_bytes(project / "generated")

    for command in ("check", "generate"):
        result = mac(project, command)
        assert result.exit_code == 2, result.output
        [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert f"generated/{PATHS.record}" in line and message in line
    assert tree_bytes(project / "generated") == before


def test_an_unreadable_rat_file_without_its_record_names_the_setting(project: Path, mac: MacRunner) -> None:
    rat_file = project / RAT_FILE
    (project / RECORD).unlink()
    rat_file.unlink()
    before = tree_bytes(project / "generated")
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert "compose.rat.file" in result.stderr and "no such file" in result.stderr
    assert tree_bytes(project / "generated") == before


def test_a_record_of_another_file_is_not_used(project: Path, mac: MacRunner) -> None:
    """The committed record of the documented compose (compose.rat.file unset) says nothing of a
    file named later: without that file, generate refuses instead of rendering from it."""
    shutil.rmtree(project / "rat")
    (project / RECORD).write_text((profile_project() / RECORD).read_text())  # of the documented compose
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert "has no record of it" in result.stderr


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.mark.parametrize(("ignored", "exit_code"), [(False, 2), (True, 0)], ids=["tracked", "ignored"])
def test_a_secrets_folder_git_would_track_is_refused(
    project: Path, mac: MacRunner, ignored: bool, exit_code: int
) -> None:
    git(project, "init", "-q")
    shutil.copy2(REPO / ".gitignore", project / ".gitignore")  # secrets/ is in it
    settings_path = project / "monitoring.yaml"
    settings = yaml.safe_load(settings_path.read_text())
    settings["compose"]["secrets"]["alertmanager_dir"] = "keys/alertmanager"
    settings_path.write_text(yaml.safe_dump(settings))
    if ignored:
        with (project / ".gitignore").open("a") as gitignore:
            gitignore.write("/keys/\n")
    result = mac(project, "generate")
    assert result.exit_code == exit_code, result.output
    if not ignored:
        assert "compose.secrets.alertmanager_dir" in result.stderr and "git would track it" in result.stderr
