"""Load the definition modules of a folder (`alerts/`, `dashboards/`) into one typed bundle.

A definition module is a Python file that exposes `define(settings)`, returning model objects.
Files starting with `_` are shared helpers, imported by the others but not loaded as definitions.
A module that fits only some RAT profiles names them in `PROFILES = ("name", ...)`; its
`define` runs only under those (monitoring_as_code/profile.py). A module that fits only some
outputs' platforms (a rule written for one compose host, or for replicas on a cluster) names
them in `PLATFORMS = ("compose", ...)`; its `define` runs only when that output loads it.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import stat
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from monitoring_as_code import isolation
from monitoring_as_code.dashboard import Dashboard
from monitoring_as_code.definitions import Definitions
from monitoring_as_code.errors import DefinitionError, Interrupted
from monitoring_as_code.model import (
    BUSINESS_HOURS,
    KNOWN_PLATFORMS,
    Alert,
    BlackboxModule,
    Inhibition,
    Probe,
    RecordingRule,
    Route,
    RuleGroup,
    ScrapeJob,
)
from monitoring_as_code.profile import Profile
from monitoring_as_code.settings import Settings, check_deliverable
from monitoring_as_code.slo import SLO, expand
from monitoring_as_code.stack import MonitoringService, RatService, Stack, check_stack

_KINDS = (Alert, RecordingRule, ScrapeJob, BlackboxModule, Probe, Route, Inhibition, Profile)


@attrs.frozen
class Module:
    """One definition module: the profiles it is limited to (none: all) and what it defined."""

    path: Path
    profiles: tuple[str, ...]
    objects: tuple[Any, ...]


def definition_files(folder: Path) -> list[Path]:
    """The definition modules of `folder`: every `*.py` not starting with `_`, each a regular file
    (a symlink to one is fine); a directory, a dangling symlink or a loop named like one is an error."""
    if not folder.is_dir():
        raise DefinitionError("definitions folder is missing", file=str(folder))
    files = sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))
    for path in files:
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            problem = "a symlink loop" if exc.errno == errno.ELOOP else f"unreadable ({exc.strerror})"
            if path.is_symlink() and exc.errno == errno.ENOENT:
                problem = f"a dangling symlink (to {os.readlink(path)})"
            raise DefinitionError(f"is {problem}, not a definition module", file=str(path)) from exc
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise DefinitionError(f"is {kind}, not a definition module (rename it or start it with _)", file=str(path))
    return files


@contextlib.contextmanager
def importable(folder: Path) -> Iterator[None]:
    """Make `folder` importable as a package named after it (so its modules can share helpers
    with `from alerts._shared import ...`), dropping any copy imported from another root."""
    root = str(folder.parent.resolve())
    package = folder.name
    for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
        del sys.modules[name]
    sys.path.insert(0, root)
    try:
        yield
    finally:
        sys.path.remove(root)


# Code that is not the project's definitions, even when it lies inside the project folder (the
# engine in a checkout, libraries in its .venv).
_NOT_DEFINITIONS = (Path(__file__).resolve().parent, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve())


def _blame(exc: BaseException, path: Path) -> tuple[Path, int | None]:
    """The definition file and line where `exc` arose: a syntax error's own file, else the
    innermost frame in the project's definitions (not the engine, not the library it called)."""
    project = path.parent.parent.resolve()
    if isinstance(exc, SyntaxError) and exc.filename:
        return Path(exc.filename), exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        where = Path(frame.filename)
        if where.is_relative_to(project) and not any(where.is_relative_to(p) for p in _NOT_DEFINITIONS):
            return where, frame.lineno
    return path, None


def _shown(where: Path, path: Path) -> str:
    """`where` as the user named the project (e.g. `alerts/_shared.py` below --root)."""
    project = path.parent.parent
    try:
        return str(project / where.relative_to(project.resolve()))
    except ValueError:
        return str(where)


def _guarded(path: Path, phase: str, run: Callable[[], Any]) -> Any:
    """Run definition code: whatever it raises, SystemExit and KeyboardInterrupt included, is bad
    input naming the module and line where it happened. Its time limit is kept by the parent
    process (isolation.py), which hears here that it starts."""
    isolation.entering(str(path), phase)
    before, cwd = set(threading.enumerate()), os.getcwd()
    try:
        result = run()
        started = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
        if started:
            # Python cannot stop a thread; the definitions' process exits without waiting for it.
            raise DefinitionError(
                f"{phase} left a thread running ({started[0].name}); a definition only returns objects"
            )
        if os.getcwd() != cwd:
            # --root may be relative to it: generated/ would be written somewhere else.
            raise DefinitionError(f"{phase} changed the working directory; a definition only returns objects")
        leftover = isolation.leftover_process()
        if leftover is not None:
            raise DefinitionError(f"{phase} left a process running (pid {leftover}); a definition only returns objects")
        return result
    except Interrupted:
        raise
    except BaseException as exc:
        where, line = _blame(exc, path)
        at = f"line {line}: " if line else ""
        if isinstance(exc, DefinitionError):
            exc.located(file=_shown(where, path))
            raise
        via = f" (loading {path})" if where.resolve() != path.resolve() else ""
        if isinstance(exc, isolation.Exited):
            problem = f"{phase} {exc}; a definition only returns objects"
        elif isinstance(exc, isolation.Overran):
            problem = f"{phase} {exc}"
        elif isinstance(exc, SyntaxError):
            problem = f"syntax error: {exc.msg}"
        else:
            problem = f"{phase} failed: {type(exc).__name__}: {exc}"
        raise DefinitionError(f"{at}{problem}{via}", file=_shown(where, path)) from exc
    finally:
        os.chdir(cwd)


def _names(module: Any, marker: str) -> tuple[str, ...]:
    names = getattr(module, marker, ())
    if isinstance(names, str) or not all(isinstance(p, str) for p in names):
        raise DefinitionError(f"{marker} must be a tuple of names, not {names!r}")
    return tuple(names)


def load_module(path: Path, settings: Settings) -> Module:
    """Import one definition module (inside `importable`); run its `define(settings)` unless its
    PROFILES leave out the profile monitoring.yaml picks."""
    try:
        source = path.read_bytes()
        if not source.strip():
            raise DefinitionError("file is empty")
        try:
            source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DefinitionError(f"not UTF-8 (byte {exc.start})") from exc
        module = _guarded(path, "import", lambda: importlib.import_module(f"{path.parent.name}.{path.stem}"))
        define = getattr(module, "define", None)
        if not callable(define):
            raise DefinitionError("defines no define(settings) function")
        profiles = _names(module, "PROFILES")
        platforms = _names(module, "PLATFORMS")
        unknown = sorted(set(platforms) - set(KNOWN_PLATFORMS))
        if unknown:
            raise DefinitionError(f"PLATFORMS names {unknown[0]!r} (known: {', '.join(KNOWN_PLATFORMS)})")
        if (profiles and settings.profile not in profiles) or (platforms and settings.platform not in platforms):
            return Module(path, profiles, ())
        return Module(path, profiles, tuple(_guarded(path, "define()", lambda: list(define(settings)))))
    except DefinitionError as exc:
        exc.located(file=str(path))
        raise


def _unique(objects: Iterable[tuple[str, str]], what: str, ignore_case: bool = False) -> None:
    """`objects` are (file, name) pairs; the second of two equal names is an error."""
    seen: dict[str, tuple[str, str]] = {}
    for file, name in objects:
        key = name.casefold() if ignore_case else name
        if key in seen:
            first_file, first_name = seen[key]
            same = "" if first_name == name else f" as {first_name} (names differ only in case)"
            raise DefinitionError(
                f"duplicate {what}, first defined in {first_file}{same}", obj=f"{what} {name}", file=file
            )
        seen[key] = (file, name)


def _check_profile_names(modules: Iterable[Module], known: Iterable[str], settings: Settings) -> None:
    known = sorted(known)
    if settings.profile not in known:
        raise DefinitionError(
            f"unknown profile {settings.profile!r} (the definitions define: {', '.join(known)})",
            obj="settings rat.profile",
            file=settings.source,
        )
    for module in modules:
        for name in module.profiles:
            if name not in known:
                raise DefinitionError(
                    f"PROFILES names {name!r}, which no Profile defines (known: {', '.join(known)})",
                    file=str(module.path),
                )


def load_slos(folder: Path, settings: Settings, profiles: Iterable[str] | None) -> tuple[tuple[str, SLO], ...]:
    """(file, SLO) for each SLO `slos/` defines under the settings' profile; none without that
    folder. `profiles` are the names the alerting definitions define (None: checked already)."""
    if not folder.is_dir():
        return ()
    with importable(folder):
        modules = [load_module(path, settings) for path in definition_files(folder)]
    if profiles is not None:
        _check_profile_names(modules, profiles, settings)
    found: list[tuple[str, SLO]] = []
    for module in modules:
        for obj in module.objects:
            if not isinstance(obj, SLO):
                raise DefinitionError(f"define() returned a {type(obj).__name__}, not an SLO", file=str(module.path))
            found.append((str(module.path), obj))
    _unique(((f, s.name) for f, s in found), "SLO")
    return tuple(found)


def _slo_groups(slos: tuple[tuple[str, SLO], ...], settings: Settings) -> list[RuleGroup]:
    """One rule group per `slos/` module: the recording rules and alerts its SLOs expand into."""
    by_file: dict[str, tuple[list[RecordingRule], list[Alert]]] = {}
    for file, slo in slos:
        recordings, alerts = by_file.setdefault(file, ([], []))
        try:
            more_recordings, more_alerts = expand(slo, settings)
        except DefinitionError as exc:
            raise exc.located(obj=slo.label, file=file) from None
        recordings += more_recordings
        alerts += more_alerts
    return [RuleGroup(f"slo-{Path(f).stem}", f, tuple(r), tuple(a)) for f, (r, a) in by_file.items()]


def load_alerting(folder: Path, settings: Settings, slo_folder: Path | None = None) -> Definitions:
    """Everything Prometheus, blackbox_exporter and Alertmanager need, from `alerts/` and the SLOs
    of `slo_folder` (default: `slos/` beside `alerts/`)."""
    groups: list[RuleGroup] = []
    found: dict[type, list[tuple[str, Any]]] = {kind: [] for kind in _KINDS}
    with importable(folder):
        modules = [load_module(path, settings) for path in definition_files(folder)]
    for module in modules:
        path, objects = module.path, module.objects
        for obj in objects:
            if type(obj) not in found:
                raise DefinitionError(f"define() returned a {type(obj).__name__}, not a model object", file=str(path))
            found[type(obj)].append((str(path), obj))
        alerts = tuple(o for o in objects if isinstance(o, Alert))
        recordings = tuple(o for o in objects if isinstance(o, RecordingRule))
        if alerts or recordings:
            groups.append(RuleGroup(path.stem, str(path), recordings, alerts))
    known = [o.name for _, o in found[Profile]]
    slos = load_slos(folder.parent / "slos" if slo_folder is None else slo_folder, settings, known)
    for group in _slo_groups(slos, settings):
        groups.append(group)
        found[Alert] += [(group.file, a) for a in group.alerts]
        found[RecordingRule] += [(group.file, r) for r in group.recording_rules]

    # A rule group is named after its module; Prometheus, a case-insensitive checkout and a
    # Kubernetes object name (lower case, `-` for `_`) must all tell two groups apart.
    _unique(((g.file, g.name.lower().replace("_", "-")) for g in groups), "rule group name")
    # Case-insensitively: an alert's runbook anchor and its test file names ignore case.
    _unique(((f, o.name) for f, o in found[Alert]), "alert", ignore_case=True)
    _unique(((f, o.name) for f, o in found[RecordingRule]), "recording rule")
    _unique(((f, o.name) for f, o in found[ScrapeJob]), "scrape job")
    _unique(((f, o.name) for f, o in found[BlackboxModule]), "blackbox module")
    _unique(((f, o.check) for f, o in found[Probe]), "probe")
    _unique(((f, o.name) for f, o in found[Route]), "route")
    _unique(((f, o.name) for f, o in found[Inhibition]), "inhibition")
    _unique(((f, o.name) for f, o in found[Profile]), "profile")
    for module in modules:
        if module.profiles and any(isinstance(o, Profile) for o in module.objects):
            # A profile must be known under every profile, so its module serves them all.
            raise DefinitionError(
                "a module that defines a Profile cannot be limited by PROFILES", file=str(module.path)
            )
    profiles = {o.name: o for _, o in found[Profile]}
    _check_profile_names(modules, profiles, settings)
    modules = {o.name for _, o in found[BlackboxModule]}
    for file, probe in found[Probe]:
        if probe.module not in modules:
            raise DefinitionError(f"unknown blackbox module {probe.module!r}", obj=probe.label, file=file)

    receivers = {r.name: r for r in settings.alertmanager.receivers}
    for file, route in found[Route]:
        if route.receiver is not None and route.receiver not in receivers:
            raise DefinitionError(f"unknown receiver {route.receiver!r}", obj=route.label, file=file)
        try:
            if route.receiver is not None:
                check_deliverable(receivers[route.receiver], route.label)
        except DefinitionError as exc:
            raise exc.located(file=file) from None
        unknown = set(route.active_time_intervals) - {BUSINESS_HOURS}
        if unknown:
            raise DefinitionError(f"unknown time interval {sorted(unknown)[0]!r}", obj=route.label, file=file)

    def objects_of(kind: type) -> tuple[Any, ...]:
        return tuple(o for _, o in found[kind])

    return Definitions(
        groups=tuple(groups),
        scrape_jobs=objects_of(ScrapeJob),
        blackbox_modules=objects_of(BlackboxModule),
        probes=objects_of(Probe),
        routes=objects_of(Route),
        inhibitions=objects_of(Inhibition),
        profiles=tuple(sorted(profiles.values(), key=lambda p: p.name)),
        profile=profiles[settings.profile],
        platform=settings.platform,
        slos=slos,
    )


def load_dashboards(folder: Path, settings: Settings, profiles: Iterable[str]) -> tuple[tuple[str, Dashboard], ...]:
    """(file, dashboard) for each dashboard `dashboards/` defines; a project without that folder
    has none. `profiles` are the names the alerting definitions define."""
    if not folder.is_dir():
        return ()
    with importable(folder):
        modules = [load_module(path, settings) for path in definition_files(folder)]
    _check_profile_names(modules, profiles, settings)
    found: list[tuple[str, Dashboard]] = []
    for module in modules:
        for obj in module.objects:
            if not isinstance(obj, Dashboard):
                raise DefinitionError(
                    f"define() returned a {type(obj).__name__}, not a Dashboard", file=str(module.path)
                )
            found.append((str(module.path), obj))
    _unique(((f, d.uid) for f, d in found), "dashboard")
    # Grafana misbehaves with two equal titles in one folder (provisioning docs).
    _unique(((f, d.title) for f, d in found), "dashboard title")
    return tuple(found)


def load_stack(folder: Path, settings: Settings) -> Stack:
    """The services of the docker-compose override, from `services/`, checked as a whole."""
    rat: list[RatService] = []
    monitoring: list[MonitoringService] = []
    with importable(folder):
        modules = [load_module(path, settings) for path in definition_files(folder)]
    for module in modules:
        path = module.path
        for obj in module.objects:
            if isinstance(obj, RatService):
                rat.append(obj)
            elif isinstance(obj, MonitoringService):
                monitoring.append(obj)
            else:
                raise DefinitionError(f"define() returned a {type(obj).__name__}, not a service", file=str(path))
    stack = Stack(rat_services=tuple(rat), monitoring_services=tuple(monitoring))
    try:
        check_stack(stack, settings)
    except DefinitionError as exc:
        exc.located(file=str(folder))
        raise
    return stack
