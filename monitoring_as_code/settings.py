"""Site settings: `monitoring.yaml`, checked against the shipped JSON Schema, then typed.

Everything site-specific (addresses, intervals, thresholds, business hours, receivers) comes from
here, so definitions never carry literals that an operator would need to change.
"""

from __future__ import annotations

import functools
import json
import math
import os
import stat
import zoneinfo
from collections.abc import Hashable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import jsonschema
import yaml

from monitoring_as_code.deployment import Deployment, deployment_settings
from monitoring_as_code.duration import parse_duration
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.slo import SloSettings, slo_settings

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
# Hosts reserved for examples (RFC 2606): a receiver pointing there fails every send, and
# AlertmanagerNotificationsFailing pages for it.
PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org")
PLACEHOLDER_TLDS = ("example", "invalid", "test")


@attrs.frozen
class Intervals:
    scrape: float
    evaluation: float


@attrs.frozen
class Windows:
    rate: float
    request_baseline: float
    scheduler_rate: float
    scheduler_baseline: float
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


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files("monitoring_as_code").joinpath("settings.schema.json").read_text()
    return json.loads(text)


@attrs.frozen
class Limits:
    """Bounds on the work a run does for untrusted input (README, "Limits")."""

    definition_timeout: float  # importing a definition module, or its define(), at most this long
    tool_timeout: float  # each run of an external tool (promtool, amtool, ...)


DEFAULT_LIMITS = {"definition_timeout": "30s", "tool_timeout": "5m"}
MAX_CONSECUTIVE_FAILURES = 100
# A settings file is a page of YAML; anything this large is a mistake (or an attack on the parser).
MAX_SETTINGS_BYTES = 1 << 20
MAX_SETTINGS_NESTING = 32


@attrs.frozen
class Settings:
    source: str
    profile: str  # rat.profile: which RAT the definitions monitor (the definitions declare the profiles)
    intervals: Intervals
    windows: Windows
    targets: Targets
    health: Health
    runner_max_concurrent: int
    thresholds: Thresholds
    business_hours: BusinessHours
    alertmanager: AlertmanagerSettings
    runbook_base_url: str
    deployment: Deployment
    grafana: GrafanaSettings
    limits: Limits
    slos: SloSettings
    outputs: tuple[str, ...] = ("compose",)  # which outputs `generate` renders (monitoring_as_code/outputs/)
    # The output whose variant of the definitions is being loaded: a definition module limited by
    # `PLATFORMS = (...)` runs only under those (set by the output's loader, never by monitoring.yaml).
    platform: str = "compose"


class _StrictLoader(yaml.SafeLoader):
    """YAML for files people write: no aliases or anchors (no "billion laughs", and no value
    that silently stands for another), and no key given twice (YAML says keys are unique;
    PyYAML would keep the last one)."""

    accept_anchors = False

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_SETTINGS_NESTING:
            # PyYAML composes recursively: a few thousand brackets overflow Python's stack.
            raise DefinitionError(f"line {event.start_mark.line + 1}: nested deeper than {MAX_SETTINGS_NESTING} levels")
        if not self.accept_anchors and (isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)):
            mark = event.start_mark
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise DefinitionError(
                f"line {mark.line + 1}: YAML anchors and aliases ({sign}{event.anchor}) are not accepted; "
                "write the value out"
            )
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth = depth

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)  # merge keys (`<<: *x`) first: they are no keys of their own
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, Hashable) and key in first_line:
                raise DefinitionError(f"line {line}: duplicate key {key!r}, first given on line {first_line[key]}")
            if isinstance(key, Hashable):
                first_line[key] = line
        return super().construct_mapping(node, deep)


def read_regular_file(path: Path, limit: int, what: str = "a settings file") -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes: a FIFO, a device
    (/dev/zero) or a directory would hang or exhaust the reader."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not wait for a writer
    except OSError as exc:
        raise DefinitionError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a FIFO, socket or device"
        raise DefinitionError(f"is {kind}, not a regular file", file=str(path))
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise DefinitionError(f"larger than {limit // 1024} KiB; not {what}", file=str(path))
    return data


class _AnchoredLoader(_StrictLoader):
    """For files whose own tool resolves anchors (RAT's compose file: `x-s3-credentials: &s3-credentials`).
    Aliases are kept as references, never expanded, so a "billion laughs" costs no memory here."""

    accept_anchors = True


def read_yaml(path: Path, *, anchors: bool = False) -> Any:
    """Parse a YAML file people write; every failure becomes a DefinitionError naming the file.
    `anchors`: accept anchors and aliases, for a file another tool reads (RAT's compose file)."""
    raw = read_regular_file(path, MAX_SETTINGS_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"not UTF-8 (byte {exc.start})", file=str(path)) from exc
    try:
        return yaml.load(text, Loader=_AnchoredLoader if anchors else _StrictLoader)
    except DefinitionError as exc:
        raise exc.located(file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DefinitionError(f"{where}YAML syntax error: {problem}", file=str(path)) from exc


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


def load_settings(path: Path) -> Settings:
    data = read_yaml(path)
    if data is None:
        raise DefinitionError("file is empty", file=str(path))
    infinite = _not_finite(data, "")
    if infinite:
        raise DefinitionError(
            "must be a finite number, not NaN or infinity", obj=f"settings {infinite}", file=str(path)
        )
    validator = _Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        raise DefinitionError(_schema_message(error), obj=f"settings {_key_path(error)}", file=str(path))
    try:
        return _typed(_parse_durations(data, _schema(), ""), str(path))
    except DefinitionError as exc:
        exc.located(file=str(path))
        raise


def _parse_durations(value: Any, schema: Mapping[str, Any], where: str) -> Any:
    """The same data with every value the schema declares a duration parsed to seconds."""
    durations = (schema, *schema.get("anyOf", ()))
    if any(s.get("$ref") == "#/$defs/duration" for s in durations) and isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise DefinitionError(str(exc), obj=f"settings {where}") from exc
    if "$ref" in schema:
        return _parse_durations(value, _schema()["$defs"][schema["$ref"].rsplit("/", 1)[1]], where)
    if isinstance(value, dict) and "properties" in schema:
        props, added = schema["properties"], schema.get("additionalProperties")
        added = added if isinstance(added, dict) else {}
        return {k: _parse_durations(v, props.get(k, added), f"{where}.{k}".lstrip(".")) for k, v in value.items()}
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


def _check_cluster_receiver(name: str | None, am: AlertmanagerSettings) -> None:
    """kubernetes.cluster_receiver names one of alertmanager.receivers, as route_to does."""
    if name is None:
        return
    by_name = {r.name: r for r in am.receivers}
    where = "settings kubernetes.cluster_receiver"
    if name not in by_name:
        raise DefinitionError(f"unknown receiver {name!r} (defined: {', '.join(sorted(by_name))})", obj=where)
    check_deliverable(by_name[name], where)


def _limits(given: dict[str, Any]) -> Limits:
    limits = {**_parse_durations(DEFAULT_LIMITS, _schema()["properties"]["limits"], "limits"), **given}
    for key, seconds in limits.items():
        if seconds <= 0:
            raise DefinitionError("must be longer than 0s", obj=f"settings limits.{key}")
    return Limits(**limits)


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
    if intervals.scrape <= 0 or intervals.evaluation <= 0:
        raise DefinitionError("intervals must be positive", obj="settings intervals")
    if (intervals.scrape * 1000) % (intervals.evaluation * 1000):
        # "N consecutive failures" is counted with `for:` over evaluations; an evaluation
        # interval that does not divide the scrape interval would skip or repeat probe samples.
        raise DefinitionError(
            "evaluation interval must divide the scrape interval", obj="settings intervals.evaluation"
        )

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
        thresholds=_thresholds(data["thresholds"]),
        business_hours=_business_hours(data["business_hours"]),
        alertmanager=_alertmanager(data["alertmanager"]),
        runbook_base_url=data["runbook_base_url"],
        deployment=deployment_settings(data, Path(source).parent),
        grafana=_grafana(data["grafana"]),
        limits=_limits(data.get("limits", {})),
        outputs=tuple(data.get("outputs", ("compose",))),
        slos=slo_settings(data["slos"]),
    )
    _check_cluster_receiver(settings.deployment.kubernetes.cluster_receiver, settings.alertmanager)
    return settings
