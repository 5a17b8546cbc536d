"""Site settings: `monitoring.yaml`, checked against the shipped JSON Schema, then typed.

Everything site-specific (addresses, intervals, thresholds, business hours, receivers) comes from
here, so definitions never carry literals that an operator would need to change.
"""

from __future__ import annotations

import functools
import json
import zoneinfo
from collections.abc import Mapping
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
from monitoring_as_code.serialize import from_yaml
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
    slos: SloSettings


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files("monitoring_as_code").joinpath("settings.schema.json").read_text()
    return json.loads(text)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely; every failure becomes a DefinitionError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"not UTF-8 (byte {exc.start})", file=str(path)) from exc
    try:
        return from_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DefinitionError(f"{where}YAML syntax error: {problem}", file=str(path)) from exc


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown key {', '.join(map(repr, extra))}"
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        return f"not a valid receiver of type {error.instance.get('type')!r} (see settings.schema.json)"
    return error.message


def load_settings(path: Path) -> Settings:
    data = read_yaml(path)
    if data is None:
        raise DefinitionError("file is empty", file=str(path))
    validator = jsonschema.Draft202012Validator(_schema())
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
    if schema.get("$ref") == "#/$defs/duration":
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise DefinitionError(str(exc), obj=f"settings {where}") from exc
    if "$ref" in schema:
        return _parse_durations(value, _schema()["$defs"][schema["$ref"].rsplit("/", 1)[1]], where)
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        return {k: _parse_durations(v, props.get(k, {}), f"{where}.{k}".lstrip(".")) for k, v in value.items()}
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
    return Settings(
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
        thresholds=Thresholds(**data["thresholds"]),
        business_hours=_business_hours(data["business_hours"]),
        alertmanager=_alertmanager(data["alertmanager"]),
        runbook_base_url=data["runbook_base_url"],
        deployment=deployment_settings(data, Path(source).parent),
        grafana=_grafana(data["grafana"]),
        slos=slo_settings(data["slos"]),
    )
