"""Outputs are units: each declares its files, paths, validators and what it loads; the pipeline
knows none by name. And the layering the review asked for: content and renderers do not reach
into validators or the loader; adding a threshold is one edit."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from monitoring_as_code import pipeline
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs import Output, registry
from monitoring_as_code.outputs.compose.unit import PATHS
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.validate.validators import Validators
from tests.conftest import REPO, MacRunner, edit, set_outputs, tree_bytes

ENGINE = REPO / "monitoring_as_code"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    return found | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}


@pytest.mark.parametrize(
    ("files", "forbidden"),
    [
        (sorted((REPO / "services").glob("*.py")), ("monitoring_as_code.validate", "monitoring_as_code.render")),
        (sorted((ENGINE / "render").glob("*.py")), ("monitoring_as_code.loader",)),
        ([ENGINE / "lint" / "run.py"], ("monitoring_as_code.loader",)),
        (sorted((ENGINE / "lint").glob("*.py")), ("monitoring_as_code.verify",)),
        ([ENGINE / "verify.py"], ("monitoring_as_code.lint",)),
    ],
    ids=["services", "render", "lint-run", "lint", "verify"],
)
def test_layers_import_only_downwards(files: list[Path], forbidden: tuple[str, ...]) -> None:
    for path in files:
        bad = sorted(m for m in _imports(path) if m.startswith(forbidden))
        assert bad == [], f"{path.relative_to(REPO)} imports {bad}"


def test_validators_hold_no_output_paths() -> None:
    """Paths live in the output units: a validator module names no generated file."""
    for path in sorted((ENGINE / "validate").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert "/" not in node.value or not node.value.endswith((".yml", ".yaml", ".json")), (
                    f"{path.name} names {node.value!r}"
                )


def test_every_compose_validator_reads_the_units_paths() -> None:
    settings = load_settings(REPO / "monitoring.yaml")
    validators = registry.by_name()["compose"].validators(pipeline.Project(REPO, REPO / "monitoring.yaml"), settings)
    bound = [v for v in validators.all if isinstance(v, functools.partial)]
    assert bound and len(bound) == len(validators.all)
    used = {value for v in bound for value in v.keywords.values() if isinstance(value, str)}
    declared = {getattr(PATHS, a.name) for a in PATHS.__attrs_attrs__}
    assert used <= declared


def test_outputs_default_to_compose(project: Path) -> None:
    settings = load_settings(project / "monitoring.yaml")
    assert [o.name for o in pipeline.enabled_outputs(settings)] == list(settings.outputs)
    text = (project / "monitoring.yaml").read_text()
    kept = [line for line in text.splitlines() if not line.startswith("outputs:")]
    (project / "monitoring.yaml").write_text("\n".join(kept) + "\n")
    assert load_settings(project / "monitoring.yaml").outputs == ("compose",)


def test_an_unknown_output_is_one_line_and_exit_2(project: Path, mac: MacRunner) -> None:
    before = tree_bytes(project / "generated")
    set_outputs(project, "compose", "nomad")
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert "unknown output 'nomad' (known: " in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert tree_bytes(project / "generated") == before


def test_only_compose_loads_services(project: Path) -> None:
    bundle = pipeline.load(pipeline.Project(project, project / "monitoring.yaml"))
    assert set(bundle.loaded) == set(bundle.settings.outputs)
    assert all(
        o.name == "compose" or o.load(pipeline.Project(project, project / "x"), bundle.settings) is None
        for o in registry.OUTPUTS
        if o.name != "kubernetes"
    )


def test_adding_a_threshold_is_one_edit(project: Path, mac: MacRunner) -> None:
    """The docs' recipe (docs/settings.md): a new threshold in monitoring.yaml, read by a definition."""
    edit(project / "monitoring.yaml", "  disk_for: 5m\n", "  disk_for: 5m\n  idle_for: 30m\n  idle_share: 0.5\n")
    settings = load_settings(project / "monitoring.yaml")
    assert (settings.thresholds.idle_for, settings.thresholds.idle_share) == (1800, 0.5)
    assert settings.thresholds.disk_for == 300


def test_reading_a_threshold_nobody_set_names_the_fix(project: Path, mac: MacRunner) -> None:
    before = tree_bytes(project / "generated")
    edit(
        project / "alerts" / "host.py", "    t = settings.thresholds\n", "    t = settings.thresholds\n    t.idle_for\n"
    )
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert "no threshold 'idle_for': add `idle_for: <number or duration>` under thresholds in monitoring.yaml" in (
        result.output
    )
    assert tree_bytes(project / "generated") == before


def test_a_threshold_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    text = (REPO / "monitoring.yaml").read_text().replace("  disk_for: 5m\n", "  disk_for: 5m\n  idle_for: soon\n")
    (tmp_path / "monitoring.yaml").write_text(text)
    with pytest.raises(DefinitionError, match=r"thresholds\.idle_for"):
        load_settings(tmp_path / "monitoring.yaml")


def test_a_third_output_is_one_unit(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit that declares its file and its validator is rendered and judged beside compose,
    with no change to the pipeline or to compose's validators."""
    judged: list[Path] = []

    def judge(tree: Path) -> None:
        judged.append(tree)
        assert (tree / "nomad" / "rat.hcl").read_text() == 'job "rat" {}\n'

    nomad = Output(
        name="nomad",
        render=lambda bundle: {"nomad/rat.hcl": 'job "rat" {}\n'},
        validators=lambda project, settings: Validators(static=(judge,)),
    )
    monkeypatch.setattr(registry, "OUTPUTS", (*registry.OUTPUTS, nomad))
    set_outputs(project, "compose", "nomad")
    files = pipeline.generate(pipeline.Project(project, project / "monitoring.yaml"))
    assert "nomad/rat.hcl" in files and PATHS.override in files
    assert judged and (project / "generated" / "nomad" / "rat.hcl").is_file()
