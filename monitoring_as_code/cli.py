"""`mac`: generate, check, validate and list the monitoring of RAT."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from monitoring_as_code.errors import DefinitionError, Interrupted, ToolError
from monitoring_as_code.project import Project
from monitoring_as_code.timings import Timings
from monitoring_as_code.validate import tools, verdicts

# Each command imports what it uses, so a command pays only for that (`mac --help` and `mac diff`
# load no definitions, lint rules or renderers).
if TYPE_CHECKING:
    from monitoring_as_code import verify as verifying

# The exit-code contract (README, "Exit codes"; docs/hardening.md): nothing else leaves `mac`.
EXIT_FINE = 0
EXIT_DRIFT = 1  # `check`: generated/ is stale; `verify`: an alert or panel would be blind
EXIT_BAD_INPUT = 2  # bad input, a validator's finding, an unusable environment, a tool timed out
EXIT_MISSING_TOOL = 3
EXIT_SIGNALLED = 128  # + the signal's number (130 Ctrl-C's SIGINT, 143 SIGTERM), as shells report it
EXIT_READER_GONE = 141  # 128 + SIGPIPE: stdout's reader left (`mac list | head`), as shells report it

F = TypeVar("F", bound=Callable[..., Any])


# The signals that end a run cleanly: the tools' process groups killed, the staging folder removed,
# generated/ as it was (CI cancelling, `timeout`, systemd, `docker stop` send SIGTERM).
ENDING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _signal_of(exc: BaseException) -> int:
    return exc.signum if isinstance(exc, Interrupted) else signal.SIGINT


def _interrupted(signum: int) -> str:
    return "interrupted" if signum == signal.SIGINT else f"interrupted by {signal.Signals(signum).name}"


def _fail(message: str, code: int, details: str = "") -> NoReturn:
    click.echo(f"error: {message}", err=True)
    if details:
        click.echo("\n".join(f"  {line}" for line in details.splitlines()), err=True)
    sys.exit(code)


def _note(message: str) -> None:
    click.echo(f"note: {message}", err=True)


def _drop_stdout() -> None:
    """stdout's reader left: what is still buffered has nowhere to go, and flushing it at exit
    would fail again. The command ends quietly, as `cat` does under `| head`."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _http_urls(param: click.Parameter, value: Any) -> Any:
    """http:// or https:// only: `file:///x` would read a local file by another name (a saved
    exposition goes to --metrics-file)."""
    for url in value if isinstance(value, tuple) else (value,) if value else ():
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{url!r} is not an http:// or https:// URL", param=param)
    return value


def _os_error_line(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else "(unknown path)"
    return f"{where}: {exc.strerror or exc}"


def reporting_errors(command: F) -> F:
    """Every failure becomes one line on stderr and an exit code of the contract; a traceback
    only with --debug."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        main_thread = threading.current_thread() is threading.main_thread()
        # A real signal raises Interrupted, so a definition's own KeyboardInterrupt stays bad input.
        previous = {signum: signal.signal(signum, _on_signal) for signum in ENDING} if main_thread else {}
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            if debug:
                raise
            if isinstance(exc, DefinitionError):
                _fail(str(exc), EXIT_BAD_INPUT, exc.details)
            if isinstance(exc, ToolError):
                _fail(str(exc), EXIT_MISSING_TOOL)
            if isinstance(exc, BrokenPipeError):
                _drop_stdout()
                sys.exit(EXIT_READER_GONE)
            if isinstance(exc, OSError):
                _fail(_os_error_line(exc), EXIT_BAD_INPUT)
            if isinstance(exc, MemoryError | RecursionError):
                _fail(f"input too large: {type(exc).__name__} (see the limits in docs/hardening.md)", EXIT_BAD_INPUT)
            _fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)", EXIT_BAD_INPUT)
        except KeyboardInterrupt as exc:
            if debug:
                raise
            _fail(f"{_interrupted(_signal_of(exc))}; generated/ is as it was", EXIT_SIGNALLED + _signal_of(exc))
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return wrapper  # type: ignore[return-value]


def _closed_streams() -> set[int]:
    """stdin, stdout and stderr that were closed when `mac` started, each now /dev/null: the next
    file opened would otherwise take its number, and output (ours, a tool's) would go into it."""
    closed = set()
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            closed.add(descriptor)
    if closed:
        null = os.open(os.devnull, os.O_RDWR)
        for descriptor in closed - {null}:
            os.dup2(null, descriptor)
        if null > 2:
            os.close(null)
        if 1 in closed:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
        if 2 in closed:
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
    return closed


def run() -> None:
    """The `mac` command: `main`, then exit at once, without waiting for a thread a definition
    may have left running (reported as bad input; Python cannot stop it). A closed stdout is an
    unusable environment (exit 2, before anything is done); a closed stderr only hides the
    messages: the exit code still tells."""
    if 1 in _closed_streams():
        click.echo("error: stdout is closed; send it to a file or /dev/null", err=True)
        sys.stderr.flush()
        os._exit(EXIT_BAD_INPUT)
    for signum in ENDING:
        signal.signal(signum, _on_signal)
    try:
        # Not click's standalone mode, which turns a Ctrl-C outside a command into "Aborted!", exit 1.
        result = main.main(prog_name="mac", standalone_mode=False)
        code = result if isinstance(result, int) else EXIT_FINE  # --help and the like return theirs
    except click.ClickException as exc:  # usage errors: click's own message, exit 2
        exc.show()
        code = exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:  # a signal outside a command
        click.echo(f"error: {_interrupted(_signal_of(exc))}", err=True)
        code = EXIT_SIGNALLED + _signal_of(exc)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_FINE if exc.code is None else EXIT_BAD_INPUT
    try:
        sys.stdout.flush()  # a pipe's output is buffered: a reader gone shows here
    except BrokenPipeError:
        _drop_stdout()
        code = EXIT_READER_GONE
    sys.stderr.flush()
    os._exit(code)


@click.group()
@click.option(
    "--root",
    type=click.Path(path_type=Path),  # checked where it is used: one line, exit 2
    default=Path("."),
    show_default=True,
    help="Project folder holding alerts/, dashboards/ and generated/.",
)
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(path_type=Path),  # what it is, the settings reader checks (one line, exit 2)
    default=None,
    help="Site settings file [default: ROOT/monitoring.yaml].",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option(
    "--no-cache", is_flag=True, help="Run every tool, reusing no verdict (and storing none) from the verdict cache."
)
@click.pass_context
def main(ctx: click.Context, root: Path, settings_path: Path | None, debug: bool, no_cache: bool) -> None:
    """Monitoring of RAT as code: Python definitions rendered to validated configuration."""
    verdicts.use(not no_cache)
    ctx.obj = Project(root=root, settings_path=settings_path or root / "monitoring.yaml")


@main.command()
@click.option("--timings", "show_timings", is_flag=True, help="Print each phase's seconds on stderr.")
@click.pass_obj
@reporting_errors
def generate(project: Project, show_timings: bool) -> None:
    """Render, validate and write generated/ atomically."""
    from monitoring_as_code import pipeline

    timings = Timings()
    timings.imports_done()
    runs = len(tools.RUNS)
    files = pipeline.generate(project, on_wait=_note, on_note=_note, timings=timings)
    click.echo(f"generated {len(files)} files in {project.generated}")
    if show_timings:
        click.echo(timings.report(len(tools.RUNS) - runs), err=True)


@main.command()
@click.pass_obj
@reporting_errors
def check(project: Project) -> None:
    """Render in memory, validate, and fail (exit 1) if generated/ differs."""
    from monitoring_as_code import pipeline

    diffs = pipeline.check(project, on_note=_note)
    if diffs:
        for diff in diffs:
            click.echo(diff)
        click.echo(f"error: generated/ is out of date in {len(diffs)} files; run `make generate`", err=True)
        sys.exit(EXIT_DRIFT)
    click.echo("generated/ is up to date and valid")


@main.command()
@click.pass_obj
@reporting_errors
def validate(project: Project) -> None:
    """Run the validators on the existing generated/."""
    from monitoring_as_code import pipeline

    pipeline.validate(project)
    click.echo(f"{project.generated} is valid")


@main.command()
@click.pass_obj
@reporting_errors
def lint(project: Project) -> None:
    """Run every lint rule and list each problem (exit 2 when there is one)."""
    from monitoring_as_code import pipeline
    from monitoring_as_code.lint import RULES

    problems = pipeline.lint(pipeline.load(project))
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"no lint problems ({len(RULES)} rules)")


@main.command()
@click.option(
    "--metrics-url",
    "urls",
    multiple=True,
    callback=lambda ctx, param, value: _http_urls(param, value),
    help="A target's /metrics URL (repeatable).",
)
@click.option(
    "--metrics-file", "files", multiple=True, type=click.Path(dir_okay=False), help="A saved exposition (repeatable)."
)
@click.option(
    "--source",
    default=None,
    help="Which source the expositions come from (ratd, node_exporter, ...) [default: told by the metric prefix].",
)
@click.option(
    "--prometheus-url",
    default=None,
    callback=lambda ctx, param, value: _http_urls(param, value),
    help="A running Prometheus: what each scrape job really has.",
)
@click.option("--profile", default=None, help="Compare with this RAT profile [default: rat.profile of the settings].")
@click.pass_obj
@reporting_errors
def verify(
    project: Project,
    urls: tuple[str, ...],
    files: tuple[str, ...],
    source: str | None,
    prometheus_url: str | None,
    profile: str | None,
) -> None:
    """Compare what targets serve with the catalog; exit 1 when an alert, rule or panel would be blind."""
    from monitoring_as_code import verify as verifying
    from monitoring_as_code.loading import load

    if not urls and not files and not prometheus_url:
        raise click.UsageError("give --metrics-url, --metrics-file or --prometheus-url")
    bundle = load(project, profile=profile, other_profiles=False)
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
    "--prometheus-url",
    required=True,
    callback=lambda ctx, param, value: _http_urls(param, value),
    help="A running Prometheus whose series the previews draw.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("live-previews"),
    show_default=True,
    help="Where to write <dashboard-uid>.svg (never generated/: its previews draw the scenarios' samples).",
)
@click.pass_obj
@reporting_errors
def preview(project: Project, prometheus_url: str, out: Path) -> None:
    """Draw each dashboard's preview from what a real Prometheus returns over the dashboards' time range."""
    from monitoring_as_code import preview_live as live
    from monitoring_as_code.loading import load
    from monitoring_as_code.render.grafana import render_dashboard
    from monitoring_as_code.render.preview import render_preview
    from monitoring_as_code.validate.previews import check_preview
    from monitoring_as_code.writer import write_files

    bundle = load(project, other_profiles=False)
    live.answering(prometheus_url)
    end = time.time()
    files = {}
    for dashboard in bundle.dashboards:
        samples = live.live_samples(prometheus_url, dashboard, bundle.settings, end)
        svg = render_preview(dashboard, samples, live.live_source(prometheus_url, bundle.settings, end))
        check_preview(f"{dashboard.uid}.svg", svg, render_dashboard(dashboard, bundle.settings))
        files[f"{dashboard.uid}.svg"] = svg
    write_files(files, out)
    click.echo(f"wrote {len(files)} previews from {prometheus_url} to {out}")


@main.command()
@click.option(
    "--rat-compose",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="RAT's compose file, when monitoring.yaml sets no compose.rat.file (and its override beside it, if any).",
)
@click.pass_obj
@reporting_errors
def preflight(project: Project, rat_compose: Path | None) -> None:
    """Before `up`: RAT's compose file, the secret files, every host path the generated override
    mounts, and the Loki plugin; a note on stderr while the backup alerts are off. Prints RAT's
    compose files to layer ours on, as `-f` options for a shell: RAT's file, then the override
    Compose merges onto it on its own (given any -f it merges nothing, and `up` would recreate RAT's
    containers without it)."""
    from monitoring_as_code.outputs import registry
    from monitoring_as_code.outputs.compose.preflight import backup_alerts_note, rat_compose_file
    from monitoring_as_code.outputs.compose.preflight import preflight as check_before_up
    from monitoring_as_code.outputs.compose.unit import PATHS
    from monitoring_as_code.yamlfile import read_yaml

    settings = registry.load_settings(project.settings_path)
    root = project.root.absolute()  # the messages' paths and fixes work from any folder
    files = rat_compose_file(settings, root, rat_compose)
    override = read_yaml(project.generated / PATHS.override)
    check_before_up(settings, root, override)
    note = backup_alerts_note(settings)
    if note:
        click.echo(note, err=True)  # stdout carries only the -f options `make up` reads
    click.echo(" ".join(f"-f {shlex.quote(str(file))}" for file in files))


@main.command(name="diff")
@click.argument("revision", required=False)
@click.option(
    "--from", "from_dir", type=click.Path(path_type=Path), default=None, help="A generated tree to compare from."
)
@click.option("--to", "to_dir", type=click.Path(path_type=Path), default=None, help="A generated tree to compare to.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True
)
@click.option(
    "--previews-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Markdown: write the marked previews here and link them [default: embedded].",
)
@click.option("--timings", "show_timings", is_flag=True, help="Print each phase's seconds on stderr.")
@click.pass_obj
@reporting_errors
def diff(
    project: Project,
    revision: str | None,
    from_dir: Path | None,
    to_dir: Path | None,
    output_format: str,
    previews_dir: Path | None,
    show_timings: bool,
) -> None:
    """What a change does, in meaning: REVISION's generated/ (default: the merge base of HEAD with
    the default branch) against the working tree's, or --from DIR against --to DIR. Reports; exits
    0 whatever it finds (`check` judges)."""
    from monitoring_as_code.diff.git import extract
    from monitoring_as_code.diff.report import as_json, as_markdown, as_text
    from monitoring_as_code.diff.run import compare_trees
    from monitoring_as_code.diff.tree import Tree
    from monitoring_as_code.limits import tool_timeout

    timings = Timings()
    timings.imports_done()
    runs = len(tools.RUNS)
    if revision is not None and from_dir is not None:
        raise click.UsageError("give a REVISION or --from DIR, not both")
    with timings.phase("settings (the tool time limit)"):
        timeout = tool_timeout(project.settings_path) if project.settings_path.is_file() else None
    with tempfile.TemporaryDirectory(prefix="mac-diff-") as scratch:
        with timings.phase("trees"):
            if from_dir is not None:
                before = Tree(from_dir, str(from_dir))
            else:
                folder = Path(scratch) / "generated"
                before = Tree(folder, extract(project.root, revision, folder))
            after = Tree(to_dir, str(to_dir)) if to_dir is not None else Tree(project.generated, "working tree")
        with tools.time_limit(timeout) if timeout else contextlib.nullcontext():
            report = compare_trees(before, after, timings)
        with timings.phase("report"):
            if output_format == "json":
                text = as_json(report)
            elif output_format == "markdown":
                text = as_markdown(report, previews_dir)
            else:
                text = as_text(report)
        click.echo(text, nl=False)
    if show_timings:
        click.echo(timings.report(len(tools.RUNS) - runs), err=True)


@main.command(name="list")
@click.pass_obj
@reporting_errors
def list_(project: Project) -> None:
    """Inventory: scrape jobs, probes, alerts by severity, SLOs, recording rules, dashboards."""
    from monitoring_as_code.duration import format_duration
    from monitoring_as_code.loading import load

    bundle = load(project, other_profiles=False)
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
    click.echo(f"slos ({len(defs.slos)}):")
    for _, slo in defs.slos:
        window = format_duration(slo.compliance_window)
        click.echo(f"  {slo.name:<20} {slo.objective:g}% over {window:<5} {slo.service:<10} {slo.sli.text}")
    click.echo(f"recording rules ({len(defs.recording_rules)}):")
    for rule in defs.recording_rules:
        click.echo(f"  {rule.name}")
    click.echo(f"dashboards ({len(bundle.dashboards)}):")
    for dashboard in bundle.dashboards:
        click.echo(f"  {dashboard.uid:<20} {len(dashboard.panels):>2} panels  {dashboard.title}")
