"""definitions -> model -> renderers -> serializer -> validators -> writer, in one place."""

from __future__ import annotations

import difflib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import attrs

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.lint import Problem
from monitoring_as_code.lint.run import lint_definitions
from monitoring_as_code.loading import enabled_outputs, load
from monitoring_as_code.outputs import registry
from monitoring_as_code.project import HEADER, Bundle, Project
from monitoring_as_code.settings import Settings
from monitoring_as_code.timings import Timings
from monitoring_as_code.tree_format import MANIFEST, render_manifest
from monitoring_as_code.validate import tools
from monitoring_as_code.validate.validators import Validator, Validators, validate_tree
from monitoring_as_code.writer import check_replaceable, locked, remove_leftovers, stage, swap_in, write_files

__all__ = ["HEADER", "Bundle", "Project", "enabled_outputs", "load"]


def lint(bundle: Bundle) -> list[Problem]:
    """Every rule over the definitions, each output's variants, and the alerting definitions as
    each other profile loads them (the runbook shows them) against that profile's own catalog."""
    problems = lint_definitions(bundle.alerting, bundle.sourced_dashboards, bundle.settings)
    for other in bundle.other_profiles:
        found = lint_definitions(other, (), attrs.evolve(bundle.settings, profile=other.profile.name))
        problems += [
            attrs.evolve(p, message=f"{p.message} (profile {other.profile.name})") for p in found if p not in problems
        ]
    for output in enabled_outputs(bundle.settings):
        for variant in output.variants(bundle.loaded[output.name]):
            found = lint_definitions(variant.alerting, variant.sourced_dashboards, variant.settings)
            problems += [p for p in found if p not in problems]
    return problems


def load_linted(project: Project, timings: Timings | None = None) -> Bundle:
    """Load, then lint: the first problem stops the run (`mac lint` lists them all)."""
    timings = timings or Timings()
    with timings.phase("load"):
        bundle = load(project)
    with timings.phase("lint"):
        problems = lint(bundle)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more: run `mac lint`)" if len(problems) > 1 else ""
        raise DefinitionError(f"{first.message} [{first.rule}]{more}", obj=first.obj, file=first.file)
    return bundle


def render(bundle: Bundle) -> dict[str, str]:
    """Every generated file, as relative path -> text, with the manifest naming the tree's format."""
    files: dict[str, str] = {MANIFEST: render_manifest()}
    for output in enabled_outputs(bundle.settings):
        for relative, text in output.render(bundle).items():
            _check_inside(relative)
            if relative in files:
                raise DefinitionError("rendered twice", file=relative)
            files[relative] = text
    return dict(sorted(files.items()))


def validators(project: Project, settings: Settings) -> tuple[Validator, ...]:
    """The validators of every enabled output."""
    return sum((output.validators(project, settings) for output in enabled_outputs(settings)), Validators()).all


def _check_inside(relative: str) -> None:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts:
        raise DefinitionError("would be written outside generated/", file=relative)


def _raise_first(errors: list[DefinitionError]) -> None:
    if errors:
        first = errors[0]
        for other in errors[1:]:
            first.details = "\n".join(filter(None, (first.details, f"also: {other}", other.details)))
        raise first


def generate(
    project: Project,
    on_wait: Callable[[str], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    timings: Timings | None = None,
) -> list[str]:
    """Render, validate the staged tree, then swap it in for generated/. Returns the files.
    `on_wait` hears once when another run holds generated/ and this one waits for it; `on_note`
    hears each output's notes on what it loaded; `timings` gets each phase's seconds."""
    timings = timings or Timings()
    bundle = load_linted(project, timings)
    for note in bundle.notes:
        (on_note or _ignore)(note)
    with timings.phase("render"):
        files = render(bundle)
    check_replaceable(project.generated)
    with locked(project.generated, on_wait=on_wait):
        remove_leftovers(project.generated)
        with timings.phase("write (staging)"):
            staging = stage(files, project.generated)
        try:
            with timings.phase("validate (all, in parallel)"):
                errors = _validated(staging, project, bundle.settings, timings)
            _raise_first(errors)
            with timings.phase("write (swap in)"):
                swap_in(staging, project.generated)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return list(files)


def _ignore(note: str) -> None:
    return None


def _validated(
    tree: Path, project: Project, settings: Settings, timings: Timings | None = None
) -> list[DefinitionError]:
    """Every enabled output's validators over `tree`, each tool under the tool time limit."""
    with tools.time_limit(settings.limits.tool_timeout):
        return validate_tree(tree, validators(project, settings), timings)


def current_files(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def drift(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """A unified diff per file that differs, is missing or is extra."""
    diffs = []
    for relative in sorted(set(expected) | set(actual)):
        want, have = expected.get(relative), actual.get(relative)
        if want == have:
            continue
        fromfile = f"generated/{relative}" if have is not None else "/dev/null"
        tofile = f"generated/{relative} (rendered)" if want is not None else "/dev/null"
        lines = difflib.unified_diff(
            (have or "").splitlines(keepends=True), (want or "").splitlines(keepends=True), fromfile, tofile
        )
        # An empty file missing or extra has no line to show: the header says which.
        diffs.append("".join(lines) or f"--- {fromfile}\n+++ {tofile}\n(an empty file)\n")
    return diffs


def check(project: Project, on_note: Callable[[str], None] | None = None) -> list[str]:
    """Render in memory, validate, and compare with generated/; the diffs (empty: no drift)."""
    bundle = load_linted(project)
    for note in bundle.notes:
        (on_note or _ignore)(note)
    files = render(bundle)
    with tempfile.TemporaryDirectory(prefix="mac-check-") as tmp:
        write_files(files, Path(tmp), durable=False)  # read back at once, then deleted
        _raise_first(_validated(Path(tmp), project, bundle.settings))
    with locked(project.generated):  # never compare with a half-swapped tree
        return drift(files, current_files(project.generated))


def validate(project: Project) -> None:
    if not project.generated.is_dir():
        raise DefinitionError("nothing generated yet: run `mac generate`", file=str(project.generated))
    settings = registry.load_settings(project.settings_path)  # its outputs, and the tool time limit
    with locked(project.generated):
        _raise_first(_validated(project.generated, project, settings))
