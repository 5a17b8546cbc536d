"""Loading a project: its settings, the definitions (in a confined child process) and what each
enabled output loads, into the bundle every command starts from. Apart from the pipeline, so
that `mac list` and `mac verify` load without the lint rules, validators and writer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import attrs

from monitoring_as_code import isolation
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.loader import load_alerting, load_dashboards
from monitoring_as_code.outputs import Output, registry
from monitoring_as_code.project import Bundle, Project
from monitoring_as_code.settings import Settings
from monitoring_as_code.yamlfile import MAX_SETTINGS_BYTES, read_regular_file


def enabled_outputs(settings: Settings) -> list[Output]:
    """The outputs `outputs:` in monitoring.yaml enables, in its order."""
    known = registry.by_name()
    for name in settings.outputs:
        if name not in known:
            raise DefinitionError(
                f"unknown output {name!r} (known: {', '.join(sorted(known))})",
                obj="settings outputs",
                file=settings.source,
            )
    return [known[name] for name in settings.outputs]


def load(project: Project, profile: str | None = None, isolated: bool = True, other_profiles: bool = True) -> Bundle:
    """Everything the definitions define, under the settings' RAT profile or `profile`, and what
    each enabled output loads for itself: computed in a child process (isolation.py), or in this
    one when not `isolated` (`make bench` compares the two). The definitions as every other profile
    loads them (the runbook shows them; lint checks them) only with `other_profiles`.

    The child starts first and reads the settings from the same bytes as this process, which
    reads them meanwhile (on two cores, the settings cost the child no time)."""
    raw = read_regular_file(project.settings_path, MAX_SETTINGS_BYTES)
    writable = [] if sys.dont_write_bytecode else [folder / "__pycache__" for folder in project.definition_folders]
    if isolated:
        with isolation.started(_in_child, (project, raw, profile, other_profiles), writable) as child:
            settings, outputs = _settings(project, raw, profile)
            pieces = child.results(settings.limits.definition_timeout)
    else:
        settings, outputs = _settings(project, raw, profile)
        pieces = list(_definitions(project, settings, outputs, other_profiles))
    alerting, others, dashboards, *loaded = pieces
    by_output = {output.name: part for output, part in zip(outputs, loaded, strict=True)}
    return Bundle(
        settings=settings,
        alerting=alerting,
        other_profiles=others,
        sourced_dashboards=dashboards,
        loaded=by_output,
        notes=tuple(note for output in outputs for note in output.notes(by_output[output.name])),
    )


def _settings(project: Project, raw: bytes, profile: str | None) -> tuple[Settings, list[Output]]:
    """The settings from monitoring.yaml's bytes (under `profile`, if given) and the outputs they enable."""
    settings = registry.load_settings(project.settings_path, raw)
    outputs = enabled_outputs(settings)
    return (settings if profile is None else attrs.evolve(settings, profile=profile)), outputs


def _in_child(project: Project, raw: bytes, profile: str | None, other_profiles: bool) -> Iterator[Any]:
    """The child's work: the settings from the same bytes as the parent's, then the definitions."""
    settings, outputs = _settings(project, raw, profile)
    isolation.limit(settings.limits.definition_timeout)
    yield from _definitions(project, settings, outputs, other_profiles)


def _definitions(project: Project, settings: Settings, outputs: list[Output], other_profiles: bool) -> Iterator[Any]:
    """The alerting definitions, as every other profile loads them (when `other_profiles`), the
    dashboards and what each output loads; in the child, each handed over while the next is
    computed (the dashboards before the outputs: the outputs' piece is the quickest to rebuild,
    and the last one's rebuild is the only one the parent waits for)."""
    alerting = load_alerting(project.alerts, settings)
    yield alerting
    yield tuple(
        load_alerting(project.alerts, attrs.evolve(settings, profile=p.name))
        for p in (alerting.profiles if other_profiles else ())
        if p.name != settings.profile
    )
    yield load_dashboards(project.dashboards, settings, (p.name for p in alerting.profiles))
    for output in outputs:
        yield output.load(project, settings)
