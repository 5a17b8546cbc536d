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
    loads them (the runbook shows them; lint checks them) only with `other_profiles`."""
    settings = registry.load_settings(project.settings_path)
    outputs = enabled_outputs(settings)
    if profile is not None:
        settings = attrs.evolve(settings, profile=profile)
    writable = [] if sys.dont_write_bytecode else [folder / "__pycache__" for folder in project.definition_folders]
    timeout = settings.limits.definition_timeout
    arguments = (project, settings, outputs, other_profiles)
    pieces = isolation.run(_definitions, arguments, timeout, writable) if isolated else list(_definitions(*arguments))
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


def _definitions(project: Project, settings: Settings, outputs: list[Output], other_profiles: bool) -> Iterator[Any]:
    """In the child: the alerting definitions, as every other profile loads them (when
    `other_profiles`), the dashboards and what each output loads; each handed over while the next
    is computed (the dashboards before the outputs: the outputs' piece is the quickest to rebuild,
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
