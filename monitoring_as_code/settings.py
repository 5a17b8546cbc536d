"""Site settings: `monitoring.yaml`, checked against the shipped JSON Schema, then typed.

Everything site-specific (addresses, intervals, thresholds, business hours, receivers) comes from
here, so definitions never carry literals that an operator would need to change. The core keeps
what every unit reads; a unit with settings of its own (the compose and kubernetes outputs, the
SLOs) declares a `Section`: its schema fragment, composed into the core schema, and its typed
parser. Loading runs nothing and reads nothing but the settings file (and the packaged schemas).
"""

from __future__ import annotations

import functools
import json
import math
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import attrs
import jsonschema

from monitoring_as_code.duration import parse_duration
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.limits import Limits, parse_limits
from monitoring_as_code.logging_policy import LoggingPolicy, Retention, logging_policy, retention
from monitoring_as_code.yamlfile import read_yaml

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
# Hosts reserved for examples (RFC 2606): a receiver pointing there fails every send, and
# AlertmanagerNotificationsFailing pages for it.
PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org")
PLACEHOLDER_TLDS = ("example", "invalid", "test")


@attrs.frozen
class Intervals:
    scrape: float
    evaluation: float
    dependency_probe: float  # ratd-0.2's per-check readiness probes: each GET is a line in ratd's log


@attrs.frozen
class Windows:
    rate: float
    request_baseline: float
    scheduler_rate: float
    scheduler_baseline: float
    scheduler_season: float
    pipeline_failures: float
    memory_growth: float
    sse_baseline: float


@attrs.frozen
class Targets:
    ratd: str
    blackbox: str
    cadvisor: str
    node_exporter: str
    prometheus: str
    alertmanager: str
    nessie: str
    postgres_exporter: str
    portal: str  # RAT's UI, probed at the path of its compose health check (alerts/endpoints.py)
    ratd_internal: str  # ratd's internal listener (INTERNAL_LISTEN_ADDR): runner callbacks, plugin phone-home
    minio: str = "minio:9000"  # MinIO's S3 port, which serves its metrics too (alerts/minio.py)
    nessie_metrics: str = "nessie:9000"  # Nessie's Quarkus management port (alerts/nessie.py)


@attrs.frozen
class Health:
    live_path: str
    ready_path: str
    path: str
    subsystems: tuple[str, ...]
    healthy_pattern: str
    valid_status_codes: tuple[int, ...]
    timeout: float

    def pattern_for(self, subsystem: str) -> str:
        return self.healthy_pattern.replace("{subsystem}", subsystem)


@attrs.frozen
class Thresholds:
    consecutive_failures: Mapping[str, int]
    disk_usage_percent: float
    disk_for: float
    pipeline_failures_per_hour: int
    api_p99_latency_seconds: float
    api_latency_for: float
    runner_queue_percent: float
    runner_queue_for: float
    container_memory_percent: float
    container_memory_for: float
    scheduler_rate_change_factor: float
    scheduler_rate_for: float
    request_spike_factor: float
    request_spike_min_rps: float
    request_spike_for: float
    backup_max_age: float
    target_down_for: float
    rule_failures_for: float
    notification_failures_for: float
    postgres_pool_saturation_ratio: float
    postgres_pool_saturation_for: float
    plugins_unhealthy_for: float
    scheduler_tick_seconds: float
    scheduler_tick_for: float
    memory_growth_factor: float
    memory_growth_for: float
    sse_spike_factor: float
    sse_spike_min_connections: int
    sse_spike_for: float
    # Thresholds monitoring.yaml adds beyond those above: a new one is one line there, read as
    # settings.thresholds.<name> like the others.
    added: Mapping[str, float] = attrs.field(factory=dict)

    def __getattr__(self, name: str) -> float:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self.added[name]
        except KeyError:
            raise AttributeError(
                f"no threshold {name!r}: add `{name}: <number or duration>` under thresholds in monitoring.yaml"
            ) from None


@attrs.frozen
class BusinessHours:
    timezone: str
    weekdays: tuple[str, ...]
    start: str
    end: str


@attrs.frozen
class Receiver:
    name: str
    type: str
    options: Mapping[str, str]
    disabled: str | None = None  # why it is off: not rendered, and what routes to it goes nowhere

    def placeholder(self) -> str | None:
        """What makes this receiver a placeholder that cannot deliver, if anything does."""
        for key, value in self.options.items():
            if key.endswith("_file") and not value.strip():
                return f"{key} is empty"
            if key == "url":
                host = (urlsplit(value).hostname or "").rstrip(".")
                domain = next((d for d in PLACEHOLDER_DOMAINS if host == d or host.endswith(f".{d}")), None)
                if domain or host.rsplit(".", 1)[-1] in PLACEHOLDER_TLDS:
                    return f"url {value} is a placeholder host ({domain or host})"
        return None


@attrs.frozen
class AlertmanagerSettings:
    group_wait: float
    group_interval: float
    repeat_interval: float
    page_group_wait: float
    watchdog_repeat_interval: float
    receivers: tuple[Receiver, ...]
    route_to: Mapping[str, str]


@attrs.frozen
class GrafanaDatasource:
    uid: str  # fixed, so dashboards can name it
    address: str  # host:port as Grafana's container reaches it


@attrs.frozen
class GrafanaDatasources:
    prometheus: GrafanaDatasource
    loki: GrafanaDatasource
    alertmanager: GrafanaDatasource


@attrs.frozen
class GrafanaSettings:
    refresh: float
    time_range: float
    folder: str
    dashboards_path: str  # where Grafana's container finds generated/grafana/dashboards
    datasources: GrafanaDatasources
    previews: bool = True  # an SVG preview of each dashboard beside it (docs/dashboards-previews.md)


@functools.cache
def packaged_schema(package: str, name: str) -> dict[str, Any]:
    """A JSON Schema shipped in `package` (the core's, or a unit's fragment beside it)."""
    return json.loads(resources.files(package).joinpath(name).read_text())


def _schema() -> dict[str, Any]:
    return packaged_schema("monitoring_as_code", "settings.schema.json")


@attrs.frozen
class Ratd:
    """What ratd runs with, where an alert depends on it (RAT's defaults unless monitoring.yaml says otherwise)."""

    db_max_conns: int  # DB_MAX_CONNS: the main Postgres pool's cap (platform/internal/postgres/conn.go)
    scheduler_tick: float  # the scheduler's tick interval (30s, set in platform/cmd/ratd/main.go)


DEFAULT_RATD = {"db_max_conns": 25, "scheduler_tick": "30s"}
MAX_CONSECUTIVE_FAILURES = 100


@attrs.frozen
class Settings:
    source: str
    profile: str  # rat.profile: which RAT the definitions monitor (the definitions declare the profiles)
    intervals: Intervals
    windows: Windows
    targets: Targets
    health: Health
    runner_max_concurrent: int
    ratd: Ratd
    thresholds: Thresholds
    business_hours: BusinessHours
    alertmanager: AlertmanagerSettings
    runbook_base_url: str
    logging: LoggingPolicy
    retention: Retention
    grafana: GrafanaSettings
    limits: Limits
    outputs: tuple[str, ...] = ("compose",)  # which outputs `generate` renders (monitoring_as_code/outputs/)
    # The output whose variant of the definitions is being loaded: a definition module limited by
    # `PLATFORMS = (...)` runs only under those (set by the output's loader, never by monitoring.yaml).
    platform: str = "compose"
    # Each unit's own section, typed by its parser: read with `of(SECTION)`.
    sections: Mapping[str, Any] = attrs.field(factory=dict)

    def of(self, section: Section[T]) -> T:
        try:
            return self.sections[section.name]  # type: ignore[no-any-return]
        except KeyError:
            raise DefinitionError(f"monitoring.yaml has no `{section.name}` section", obj="settings") from None

    def with_section(self, section: Section[T], value: T) -> Settings:
        return attrs.evolve(self, sections={**self.sections, section.name: value})


T = TypeVar("T")


@attrs.frozen
class Section(Generic[T]):
    """A unit's own top-level section of monitoring.yaml."""

    name: str  # its key in monitoring.yaml
    package: str  # where its schema fragment is shipped, beside the unit
    parse: Callable[[Mapping[str, Any], Settings], T]  # checked and duration-parsed data, the core settings
    default: Callable[[], T] | None = None  # what an absent section means; None: required...
    required_by: str | None = None  # ... always, or only while this output is enabled
    schema_file: str = "settings.schema.json"  # its fragment, in `package`

    @property
    def schema(self) -> dict[str, Any]:
        return packaged_schema(self.package, self.schema_file)

    def required(self, outputs: Sequence[str]) -> bool:
        return self.default is None and (self.required_by is None or self.required_by in outputs)


def composed_schema(sections: Sequence[Section[Any]]) -> dict[str, Any]:
    """The core schema with each section's fragment as one of its properties, and the fragments'
    own definitions beside the core's (a name defined twice is a bug in a unit)."""
    core = _schema()
    schema = {**core, "properties": dict(core["properties"]), "$defs": dict(core["$defs"])}
    for section in sections:
        fragment = dict(section.schema)
        for name, definition in fragment.pop("$defs", {}).items():
            if name in schema["$defs"]:
                raise ValueError(f"schema definition {name!r} of section {section.name} is defined twice")
            schema["$defs"][name] = definition
        schema["properties"][section.name] = fragment
    return schema


def _not_finite(value: Any, where: str) -> str | None:
    """The key path of the first NaN or infinite number in `value` (YAML's .nan, .inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        return where or "(top level)"
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _not_finite(item, f"{where}.{key}".lstrip("."))
        if found:
            return found
    return None


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})), key=str)
        return f"unknown key {', '.join(map(repr, extra))}"
    if error.validator == "pattern" and error.schema.get("pattern") == _schema()["$defs"]["address"]["pattern"]:
        return f"{error.instance!r} is not host:port with a port from 1 to 65535"
    if error.validator == "pattern" and "description" in error.schema:
        return f"{error.instance!r} is not valid here: {error.schema['description']}"
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        return f"not a valid receiver of type {error.instance.get('type')!r} (see settings.schema.json)"
    return error.message


def _one_line_pattern(
    validator: jsonschema.protocols.Validator, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterable[jsonschema.ValidationError]:
    """`pattern` as JSON Schema means it (ECMA-262), where `$` ends the text: Python's `$` also
    matches before a final line break, which let "prom/prometheus:v3.5.0\n" into an image. No
    value the schema checks by pattern (names, images, addresses, paths) spans lines."""
    if isinstance(instance, str) and ("\n" in instance or "\r" in instance):
        yield jsonschema.ValidationError(f"{instance!r} spans lines; it must be one line")
        return
    yield from jsonschema.Draft202012Validator.VALIDATORS["pattern"](validator, pattern, instance, schema)


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _one_line_pattern})


def load_settings(path: Path, sections: Sequence[Section[Any]] = ()) -> Settings:
    """monitoring.yaml, checked and typed: the core, then each unit's section (`sections`: those of
    every unit there is, outputs/registry.py; a section absent from this list is an unknown key)."""
    data = read_yaml(path)
    if data is None:
        raise DefinitionError("file is empty", file=str(path))
    infinite = _not_finite(data, "")
    if infinite:
        raise DefinitionError(
            "must be a finite number, not NaN or infinity", obj=f"settings {infinite}", file=str(path)
        )
    schema = _composed(tuple(sections))
    validator = _Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        raise DefinitionError(_schema_message(error), obj=f"settings {_key_path(error)}", file=str(path))
    try:
        parsed = parse_durations(data, schema, "", schema)
        core = _typed(parsed, str(path))
        return attrs.evolve(core, sections=_sections(parsed, core, sections))
    except DefinitionError as exc:
        exc.located(file=str(path))
        raise


_composed = functools.cache(composed_schema)


def _sections(data: Mapping[str, Any], core: Settings, sections: Sequence[Section[Any]]) -> dict[str, Any]:
    typed = {}
    for section in sections:
        if section.name in data:
            typed[section.name] = section.parse(data[section.name], core)
        elif section.default is not None:
            typed[section.name] = section.default()
        elif section.required(core.outputs):
            why = f" (the {section.required_by} output is enabled)" if section.required_by else ""
            raise DefinitionError(f"missing section `{section.name}`{why}", obj="settings")
    return typed


def parse_durations(value: Any, schema: Mapping[str, Any], where: str, root: Mapping[str, Any] | None = None) -> Any:
    """The same data with every value the schema declares a duration parsed to seconds."""
    durations = (schema, *schema.get("anyOf", ()))
    if any(s.get("$ref") == "#/$defs/duration" for s in durations) and isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise DefinitionError(str(exc), obj=f"settings {where}") from exc
    if "$ref" in schema:
        root = _schema() if root is None else root
        return parse_durations(value, root["$defs"][schema["$ref"].rsplit("/", 1)[1]], where, root)
    if isinstance(value, dict) and "properties" in schema:
        props, added = schema["properties"], schema.get("additionalProperties")
        added = added if isinstance(added, dict) else {}
        return {k: parse_durations(v, props.get(k, added), f"{where}.{k}".lstrip("."), root) for k, v in value.items()}
    return value


def _grafana(data: dict[str, Any]) -> GrafanaSettings:
    for key in ("refresh", "time_range"):
        # Grafana's refresh picker and relative time ranges take whole seconds at the finest.
        if data[key] < 1 or data[key] != int(data[key]):
            raise DefinitionError("must be a whole number of seconds", obj=f"settings grafana.{key}")
    sources = {name: GrafanaDatasource(**spec) for name, spec in data["datasources"].items()}
    uids = [s.uid for s in sources.values()]
    if len(set(uids)) != len(uids):
        raise DefinitionError("datasource uids must differ", obj="settings grafana.datasources")
    return GrafanaSettings(**{**data, "datasources": GrafanaDatasources(**sources)})


def _business_hours(hours: dict[str, Any]) -> BusinessHours:
    try:
        zoneinfo.ZoneInfo(hours["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise DefinitionError(
            f"unknown timezone {hours['timezone']!r}", obj="settings business_hours.timezone"
        ) from exc
    for weekdays in hours["weekdays"]:
        first, _, last = weekdays.partition(":")
        if last and WEEKDAYS.index(first) > WEEKDAYS.index(last):
            # Alertmanager counts the week from Sunday and refuses ranges that wrap around it.
            raise DefinitionError(
                f"weekday range {weekdays!r} wraps past Sunday; split it (e.g. 'sunday', 'monday:saturday')",
                obj="settings business_hours.weekdays",
            )
    if hours["start"] >= hours["end"]:
        raise DefinitionError(f"start {hours['start']} is not before end {hours['end']}", obj="settings business_hours")
    return BusinessHours(
        timezone=hours["timezone"], weekdays=tuple(hours["weekdays"]), start=hours["start"], end=hours["end"]
    )


def check_deliverable(receiver: Receiver, obj: str) -> None:
    """A receiver that a route uses delivers somewhere real, or is disabled with a reason."""
    problem = None if receiver.disabled else receiver.placeholder()
    if problem:
        raise DefinitionError(
            f"receiver {receiver.name!r} is routed to, but {problem}: set the real one, or mark it "
            "`disabled: <why>` (then what routes to it is not sent)",
            obj=obj,
        )


def _alertmanager(am: dict[str, Any]) -> AlertmanagerSettings:
    receivers = tuple(
        Receiver(
            name=name,
            type=spec["type"],
            options={k: v for k, v in spec.items() if k not in ("type", "disabled")},
            disabled=spec.get("disabled"),
        )
        for name, spec in sorted(am["receivers"].items())
    )
    by_name = {r.name: r for r in receivers}
    for purpose, receiver in am["route_to"].items():
        if receiver not in by_name:
            raise DefinitionError(
                f"unknown receiver {receiver!r} (defined: {', '.join(sorted(by_name))})",
                obj=f"settings alertmanager.route_to.{purpose}",
            )
        check_deliverable(by_name[receiver], f"settings alertmanager.route_to.{purpose}")
    am_times = {k: v for k, v in am.items() if k not in ("receivers", "route_to")}
    return AlertmanagerSettings(**am_times, receivers=receivers, route_to=dict(am["route_to"]))


def _ratd(given: dict[str, Any]) -> Ratd:
    ratd = {**parse_durations(DEFAULT_RATD, _schema()["properties"]["ratd"], "ratd"), **given}
    if ratd["scheduler_tick"] <= 0:
        raise DefinitionError("must be longer than 0s", obj="settings ratd.scheduler_tick")
    return Ratd(**ratd)


def _thresholds(data: Mapping[str, Any]) -> Thresholds:
    """The typed thresholds, and those monitoring.yaml adds (the schema checked their types)."""
    for check, failures in data["consecutive_failures"].items():
        if failures > MAX_CONSECUTIVE_FAILURES:
            # Each failure adds a scrape interval to the alert's `for` and samples to its unit tests.
            raise DefinitionError(
                f"{failures} is more than {MAX_CONSECUTIVE_FAILURES}",
                obj=f"settings thresholds.consecutive_failures.{check}",
            )
    declared = {field.name for field in attrs.fields(Thresholds)} - {"added"}
    return Thresholds(
        **{k: v for k, v in data.items() if k in declared},
        added={k: v for k, v in data.items() if k not in declared},
    )


def _typed(data: dict[str, Any], source: str) -> Settings:
    intervals = Intervals(**data["intervals"])
    if min(intervals.scrape, intervals.evaluation, intervals.dependency_probe) <= 0:
        raise DefinitionError("intervals must be positive", obj="settings intervals")
    if (intervals.scrape * 1000) % (intervals.evaluation * 1000):
        # "N consecutive failures" is counted with `for:` over evaluations; an evaluation
        # interval that does not divide the scrape interval would skip or repeat probe samples.
        raise DefinitionError(
            "evaluation interval must divide the scrape interval", obj="settings intervals.evaluation"
        )
    if (intervals.dependency_probe * 1000) % (intervals.scrape * 1000):
        # Its alerts count consecutive failures in whole probe intervals, evaluated on the scrape grid.
        raise DefinitionError("must be a whole number of scrape intervals", obj="settings intervals.dependency_probe")

    windows = Windows(**data["windows"])
    if windows.rate < 4 * intervals.scrape:
        # rate() needs at least two samples in its window; four scrapes survive one missed scrape.
        raise DefinitionError("must be at least 4x the scrape interval", obj="settings windows.rate")

    health = data["health"]
    settings = Settings(
        source=source,
        profile=data["rat"]["profile"],
        intervals=intervals,
        windows=windows,
        targets=Targets(**data["targets"]),
        health=Health(
            **{
                **health,
                "subsystems": tuple(health["subsystems"]),
                "valid_status_codes": tuple(health["valid_status_codes"]),
            }
        ),
        runner_max_concurrent=data["runner"]["max_concurrent"],
        ratd=_ratd(data.get("ratd", {})),
        thresholds=_thresholds(data["thresholds"]),
        business_hours=_business_hours(data["business_hours"]),
        alertmanager=_alertmanager(data["alertmanager"]),
        runbook_base_url=data["runbook_base_url"],
        logging=logging_policy(data["logging"]),
        retention=retention(data["retention"]),
        grafana=_grafana(data["grafana"]),
        limits=parse_limits(data.get("limits", {})),
        outputs=tuple(data.get("outputs", ("compose",))),
    )
    return settings
