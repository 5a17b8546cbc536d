"""`mac`: generate, check, validate and list the monitoring of RAT."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from monitoring_as_code import pipeline
from monitoring_as_code import verify as verifying
from monitoring_as_code.errors import DefinitionError, ToolError
from monitoring_as_code.lint import RULES
from monitoring_as_code.preflight import preflight as check_before_up
from monitoring_as_code.settings import load_settings

EXIT_DRIFT = 1
EXIT_BAD_INPUT = 2
EXIT_MISSING_TOOL = 3

F = TypeVar("F", bound=Callable[..., Any])


def reporting_errors(command: F) -> F:
    """Turn a DefinitionError into one line on stderr and exit 2 (a traceback only with --debug)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except DefinitionError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            if exc.details:
                click.echo("\n".join(f"  {line}" for line in exc.details.splitlines()), err=True)
            sys.exit(EXIT_BAD_INPUT)
        except ToolError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_MISSING_TOOL)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Project folder holding alerts/, dashboards/ and generated/.",
)
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Site settings file [default: ROOT/monitoring.yaml].",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, root: Path, settings_path: Path | None, debug: bool) -> None:
    """Monitoring of RAT as code: Python definitions rendered to validated configuration."""
    ctx.obj = pipeline.Project(root=root, settings_path=settings_path or root / "monitoring.yaml")


@main.command()
@click.pass_obj
@reporting_errors
def generate(project: pipeline.Project) -> None:
    """Render, validate and write generated/ atomically."""
    files = pipeline.generate(project, on_wait=lambda message: click.echo(f"note: {message}", err=True))
    click.echo(f"generated {len(files)} files in {project.generated}")


@main.command()
@click.pass_obj
@reporting_errors
def check(project: pipeline.Project) -> None:
    """Render in memory, validate, and fail (exit 1) if generated/ differs."""
    diffs = pipeline.check(project)
    if diffs:
        for diff in diffs:
            click.echo(diff)
        click.echo(f"error: generated/ is out of date in {len(diffs)} files; run `make generate`", err=True)
        sys.exit(EXIT_DRIFT)
    click.echo("generated/ is up to date and valid")


@main.command()
@click.pass_obj
@reporting_errors
def validate(project: pipeline.Project) -> None:
    """Run the validators on the existing generated/."""
    pipeline.validate(project)
    click.echo(f"{project.generated} is valid")


@main.command()
@click.pass_obj
@reporting_errors
def lint(project: pipeline.Project) -> None:
    """Run every lint rule and list each problem (exit 2 when there is one)."""
    problems = pipeline.lint(pipeline.load(project))
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"no lint problems ({len(RULES)} rules)")


@main.command()
@click.option("--metrics-url", "urls", multiple=True, help="A target's /metrics URL (repeatable).")
@click.option(
    "--metrics-file", "files", multiple=True, type=click.Path(dir_okay=False), help="A saved exposition (repeatable)."
)
@click.option(
    "--source",
    default=None,
    help="Which source the expositions come from (ratd, node_exporter, ...) [default: told by the metric prefix].",
)
@click.option("--prometheus-url", default=None, help="A running Prometheus: what each scrape job really has.")
@click.option("--profile", default=None, help="Compare with this RAT profile [default: rat.profile of the settings].")
@click.pass_obj
@reporting_errors
def verify(
    project: pipeline.Project,
    urls: tuple[str, ...],
    files: tuple[str, ...],
    source: str | None,
    prometheus_url: str | None,
    profile: str | None,
) -> None:
    """Compare what targets serve with the catalog; exit 1 when an alert, rule or panel would be blind."""
    if not urls and not files and not prometheus_url:
        raise click.UsageError("give --metrics-url, --metrics-file or --prometheus-url")
    bundle = pipeline.load(project, profile=profile)
    catalog = bundle.alerting.catalog
    readers = verifying.readers_by_series(*verifying.consumers(bundle.alerting, bundle.dashboards, bundle.settings))
    gaps: list[verifying.Gap] = []
    for where in (*urls, *files):
        exposed = verifying.exposed_series(verifying.read_exposition(where), where)
        origin = verifying.exposition_source(exposed, source, where)
        gaps += _report(f"{where} ({origin})", verifying.find_gaps(exposed, (origin,), readers, catalog))
    if prometheus_url:
        for scrape in verifying.scrapes(prometheus_url, verifying.scrape_sources(bundle.alerting), catalog):
            found = verifying.find_gaps(scrape.series, scrape.sources, readers, catalog)
            gaps += _report(f"{prometheus_url} job {scrape.job}", found)
    blind = verifying.blinded(gaps)
    click.echo(f"profile {bundle.settings.profile}: " + (f"{len(blind)} blind" if blind else "nothing is blind"))
    for reader in blind:
        reasons = sorted({g.reason for g in gaps if g.blinds and reader in g.readers})
        click.echo(f"  blind: {reader} ({'; '.join(reasons)})")
    if blind:
        sys.exit(EXIT_DRIFT)


def _report(what: str, gaps: list[verifying.Gap]) -> list[verifying.Gap]:
    click.echo(f"{what}: " + (f"{len(gaps)} gaps" if gaps else "serves everything the monitoring reads"))
    for gap in gaps:
        click.echo(f"  {gap}")
    return gaps


@main.command()
@click.option(
    "--rat-compose",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("infra/docker-compose.yml"),
    show_default=True,
    help="RAT's compose file, when monitoring.yaml sets no compose.rat.file.",
)
@click.pass_obj
@reporting_errors
def preflight(project: pipeline.Project, rat_compose: Path) -> None:
    """Before `up`: the secret files and the Loki plugin. Prints RAT's compose file to layer on."""
    settings = load_settings(project.settings_path)
    base = settings.deployment.compose.rat.compose.file or rat_compose
    check_before_up(settings, base.parent)
    click.echo(base)


@main.command(name="list")
@click.pass_obj
@reporting_errors
def list_(project: pipeline.Project) -> None:
    """Inventory: scrape jobs, probes, alerts by severity, recording rules, dashboards."""
    bundle = pipeline.load(project)
    defs = bundle.alerting
    known = ", ".join(p.name for p in defs.profiles)
    click.echo(f"profile: {defs.profile.name} ({defs.profile.reference}; profiles: {known})")
    click.echo(f"scrape jobs ({len(defs.scrape_jobs)}):")
    for job in defs.scrape_jobs:
        click.echo(f"  {job.name:<20} {', '.join(job.targets)}{job.metrics_path}")
    click.echo(f"probes ({len(defs.probes)}):")
    for probe in defs.probes:
        click.echo(f"  {probe.check:<20} {probe.module:<26} {probe.url}")
    counts = Counter(a.severity for a in defs.alerts)
    click.echo(f"alerts ({len(defs.alerts)}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + "):")
    for alert in sorted(defs.alerts, key=lambda a: (a.severity, a.name)):
        click.echo(f"  {alert.severity:<9} {alert.name:<32} {alert.service or '(from expr)'}")
    click.echo(f"recording rules ({len(defs.recording_rules)}):")
    for rule in defs.recording_rules:
        click.echo(f"  {rule.name}")
    click.echo(f"dashboards ({len(bundle.dashboards)}):")
    for dashboard in bundle.dashboards:
        click.echo(f"  {dashboard.uid:<20} {len(dashboard.panels):>2} panels  {dashboard.title}")
