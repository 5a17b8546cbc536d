"""Load the definition modules of a folder (`alerts/`, `dashboards/`) into one typed bundle.

A definition module is a Python file that exposes `define(settings)`, returning model objects.
Files starting with `_` are shared helpers, imported by the others but not loaded as definitions.
A module that fits only some RAT profiles names them in `PROFILES = ("name", ...)`; its
`define` runs only under those (monitoring_as_code/profile.py).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from monitoring_as_code.catalog import EXPORTER_METRICS, Metric
from monitoring_as_code.dashboard import Dashboard
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import (
    BUSINESS_HOURS,
    Alert,
    BlackboxModule,
    Inhibition,
    Probe,
    RecordingRule,
    Route,
    ScrapeJob,
)
from monitoring_as_code.profile import Profile
from monitoring_as_code.settings import Settings, check_deliverable
from monitoring_as_code.slo import SLO, expand
from monitoring_as_code.stack import MonitoringService, RatService, Stack, check_stack


@attrs.frozen
class RuleGroup:
    """The rules one module defines: one Prometheus rule group and one rule file."""

    name: str
    file: str
    recording_rules: tuple[RecordingRule, ...]
    alerts: tuple[Alert, ...]


@attrs.frozen
class Definitions:
    groups: tuple[RuleGroup, ...]
    scrape_jobs: tuple[ScrapeJob, ...]
    blackbox_modules: tuple[BlackboxModule, ...]
    probes: tuple[Probe, ...]
    routes: tuple[Route, ...]
    inhibitions: tuple[Inhibition, ...]
    profiles: tuple[Profile, ...]  # every profile the definitions know
    profile: Profile  # the one monitoring.yaml picks
    slos: tuple[tuple[str, SLO], ...] = ()  # (definition file, SLO); their rules are in `groups`

    @property
    def catalog(self) -> tuple[Metric, ...]:
        """Every metric the definitions may read: the exporters' and this profile's ratd."""
        return EXPORTER_METRICS + self.profile.metrics

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(a for g in self.groups for a in g.alerts)

    @property
    def recording_rules(self) -> tuple[RecordingRule, ...]:
        return tuple(r for g in self.groups for r in g.recording_rules)


_KINDS = (Alert, RecordingRule, ScrapeJob, BlackboxModule, Probe, Route, Inhibition, Profile)


@attrs.frozen
class Module:
    """One definition module: the profiles it is limited to (none: all) and what it defined."""

    path: Path
    profiles: tuple[str, ...]
    objects: tuple[Any, ...]


def definition_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DefinitionError("definitions folder is missing", file=str(folder))
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


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


def _import(path: Path) -> Any:
    try:
        return importlib.import_module(f"{path.parent.name}.{path.stem}")
    except DefinitionError:
        raise
    except SyntaxError as exc:
        raise DefinitionError(f"line {exc.lineno}: syntax error: {exc.msg}") from exc
    except Exception as exc:
        raise DefinitionError(f"import failed: {type(exc).__name__}: {exc}") from exc


def _profiles(module: Any) -> tuple[str, ...]:
    profiles = getattr(module, "PROFILES", ())
    if isinstance(profiles, str) or not all(isinstance(p, str) for p in profiles):
        raise DefinitionError(f"PROFILES must be a tuple of profile names, not {profiles!r}")
    return tuple(profiles)


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
        module = _import(path)
        define = getattr(module, "define", None)
        if not callable(define):
            raise DefinitionError("defines no define(settings) function")
        profiles = _profiles(module)
        if profiles and settings.profile not in profiles:
            return Module(path, profiles, ())
        try:
            return Module(path, profiles, tuple(define(settings)))
        except DefinitionError:
            raise
        except Exception as exc:
            raise DefinitionError(f"define() failed: {type(exc).__name__}: {exc}") from exc
    except DefinitionError as exc:
        exc.located(file=str(path))
        raise


def _unique(objects: Iterable[tuple[str, str]], what: str) -> None:
    """`objects` are (file, name) pairs; the second of two equal names is an error."""
    seen: dict[str, str] = {}
    for file, name in objects:
        if name in seen:
            raise DefinitionError(f"duplicate {what}, first defined in {seen[name]}", obj=f"{what} {name}", file=file)
        seen[name] = file


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

    _unique(((f, o.name) for f, o in found[Alert]), "alert")
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
