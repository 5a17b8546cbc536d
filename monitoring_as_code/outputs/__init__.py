"""Outputs: each is one unit that declares its own section of monitoring.yaml, what it needs
loaded, the files it writes (under its own paths) and the validators that judge them. `outputs:` in
monitoring.yaml picks the enabled ones; the pipeline iterates over them and knows none by name.

A new output is a module or package here defining an `Output` and one line in `OUTPUTS`
(registry.py); no validator of another output changes (docs/outputs.md has the recipe).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

import attrs

from monitoring_as_code.dashboard import Dashboard
from monitoring_as_code.definitions import Definitions
from monitoring_as_code.preview_samples import Previews, ScenarioSamples
from monitoring_as_code.project import HEADER, Bundle, Project
from monitoring_as_code.render.preview import render_preview
from monitoring_as_code.render.rule_tests import isolated_rule_file, render_test_file
from monitoring_as_code.serialize import to_yaml
from monitoring_as_code.settings import Section, Settings
from monitoring_as_code.validate.validators import Validators


def _nothing(project: Project, settings: Settings) -> None:
    return None


def _no_notes(loaded: Any) -> tuple[str, ...]:
    return ()


@attrs.frozen
class Variant:
    """Definitions an output loads for itself, under the settings as its platform sees them:
    lint judges them as it judges the bundle's."""

    settings: Settings
    alerting: Definitions
    sourced_dashboards: tuple[tuple[str, Dashboard], ...]  # (definition file, dashboard)

    @property
    def dashboards(self) -> tuple[Dashboard, ...]:
        return tuple(d for _, d in self.sourced_dashboards)


def _no_variants(loaded: Any) -> tuple[Variant, ...]:
    return ()


@attrs.frozen
class Output:
    name: str
    # Relative path -> text of every file it writes: rendered from the bundle (and from what it loaded).
    render: Callable[[Bundle], dict[str, str]]
    # Its validators, with its paths bound (some need the project, e.g. RAT's compose file).
    validators: Callable[[Project, Settings], Validators]
    # Its own section of monitoring.yaml, if it has one.
    section: Section[Any] | None = None
    # What it needs loaded beyond alerts/ and dashboards/ (bundle.loaded[name]).
    load: Callable[[Project, Settings], Any] = _nothing
    # Variants of the definitions it loaded, which lint must judge too.
    variants: Callable[[Any], tuple[Variant, ...]] = _no_variants
    # One line each that `generate` and `check` print about what it loaded (where an input came from).
    notes: Callable[[Any], tuple[str, ...]] = _no_notes


SCENARIO_DATA = "fixed samples from the promtool scenarios in alerts/ (not measurements)"


def preview_files(
    dashboards: tuple[Dashboard, ...], defs: Definitions, settings: Settings, folder: str
) -> dict[str, str]:
    """Each dashboard's preview under `folder`, drawing the scenarios' sample data (none when
    `grafana.previews` is off)."""
    if not settings.grafana.previews:
        return {}
    samples = ScenarioSamples(defs)
    return {f"{folder}/{d.uid}.svg": render_preview(d, samples.samples(d), SCENARIO_DATA) for d in dashboards}


def runbook_previews(
    dashboards: tuple[Dashboard, ...], settings: Settings, runbook: str, folder: str
) -> Previews | None:
    """What the runbook at `runbook` links to: the previews in `folder`, if they are written."""
    if not settings.grafana.previews:
        return None
    return Previews(dashboards, posixpath.relpath(folder, posixpath.dirname(runbook)))


def rule_test_files(defs: Definitions, settings: Settings, folder: str) -> dict[str, str]:
    """Each alert's promtool tests, under `folder`, with a rule file holding only what it reads."""
    files: dict[str, str] = {}
    for alert in defs.alerts:
        if not alert.scenarios:
            continue
        isolated = f"rules/{alert.name}.yml"
        header = HEADER.format(source=f"the scenarios of alert {alert.name}")
        files[f"{folder}/{isolated}"] = to_yaml(isolated_rule_file(alert, defs.recording_rules, settings), header)
        files[f"{folder}/{alert.name}.yml"] = to_yaml(render_test_file(alert, isolated, settings), header)
    return files
