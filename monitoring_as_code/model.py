"""The typed model every definition builds. Each object checks itself on construction, so a
broken definition fails where it is written, naming the object and the problem."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from typing import Any

import attrs
import promql_parser

from monitoring_as_code import templates
from monitoring_as_code.checked import Checked
from monitoring_as_code.duration import parse_duration
from monitoring_as_code.promql import parse_promql

COMPOSE, KUBERNETES = "compose", "kubernetes"  # the platforms definitions may be limited to (PLATFORMS)
KNOWN_PLATFORMS = (COMPOSE, KUBERNETES)  # an output with a variant of its own adds its platform here

BUSINESS_HOURS = "business-hours"  # the one Alertmanager time interval, built from settings
SEVERITIES = ("critical", "warning", "info")
PROBERS = ("http", "tcp", "icmp", "dns", "grpc")
# Structural only (names become file names and metric names); conventions are lint rules.
_ALERT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
_MATCHER = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"[^"]*"$')
# promtool's expanding notation: "1 2 3", "0+1x10", "1x5", "_", "stale".
# Groups that capture nothing: the long series (thousands of samples written out) match faster.
_SERIES_VALUES = re.compile(r"^(?:\s*(?:_|stale|-?[0-9.e+]+(?:[+-][0-9.e]+)?(?:x[0-9]+)?|_x[0-9]+))+\s*$")
_REPEAT = re.compile(r"x([0-9]+)(?!\S)")  # at the end of an item
# Bounds on what a scenario makes promtool do (docs/hardening.md, "Limits"): samples per input series, and
# how far into the test it evaluates.
MAX_SCENARIO_SAMPLES = 10_000
MAX_SCENARIO_SPAN = 31 * 86400


def seconds(value: str | float, what: str) -> float:
    """A duration given as "5m" or as seconds; ValueError says which field is wrong."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{what}: {value!r} is not a duration")
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from exc
    if not math.isfinite(value):
        raise ValueError(f"{what}: {value} is not a finite number of seconds")
    if value < 0:
        raise ValueError(f"{what}: {value} is negative")
    return float(value)


def sample_count(values: str) -> int:
    """How many samples promtool expands a series' values notation to ("0+1x200" is 201)."""
    return len(values.split()) + sum(map(int, _REPEAT.findall(values)))


# By value: the scenarios of an alert's variants and of every profile share their series, and the
# parent checks each scenario again when the definitions' child process hands it over (plain.py).
@functools.lru_cache(maxsize=4096)
def series_samples(values: str) -> int | None:
    """How many samples a series' values expand to; None when they are not promtool's notation."""
    return sample_count(values) if _SERIES_VALUES.match(values) else None


def _check_matchers(matchers: tuple[str, ...], what: str) -> None:
    if not matchers:
        raise ValueError(f"{what}: needs at least one matcher")
    for matcher in matchers:
        if not isinstance(matcher, str) or not _MATCHER.match(matcher):
            raise ValueError(f'{what}: {matcher!r} is not a matcher like severity="critical"')


def check_lint_disable(disabled: Mapping[str, str]) -> None:
    for rule, reason in disabled.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"lint_disable: rule {rule!r} needs a written reason")


def _check_labels(labels: Mapping[str, str], what: str) -> None:
    for key, value in labels.items():
        if not isinstance(key, str) or not _LABEL_NAME.match(key):
            raise ValueError(f"{what}: {key!r} is not a label name")
        if not isinstance(value, str):
            raise ValueError(f"{what}: label {key} must be a string, not {type(value).__name__}")


@attrs.frozen
class Firing:
    """An alert a scenario expects: the labels its expression yields and the observed value."""

    labels: Mapping[str, str] = attrs.field(factory=dict)
    value: float | None = None


@attrs.frozen
class Scenario(Checked):
    """One promtool unit test: input series sampled every `interval`, evaluated at each time in
    `at` (one time or several), expecting the same alerts at each."""

    name: str
    series: Mapping[str, str]
    at: str | float | tuple[str | float, ...]
    fires: tuple[Firing, ...] = attrs.field(default=(), converter=tuple)
    interval: str | float | None = None
    # How often promtool evaluates the rules, when coarser than `interval` suffices (every `at`
    # a multiple of it): samples stay fine-grained, evaluations few. Default: the alert's.
    evaluation_interval: str | float | None = None
    kind = "scenario"

    def _check(self) -> None:
        if not self.series:
            raise ValueError("needs at least one input series")
        for selector, values in self.series.items():
            if not isinstance(parse_promql(selector), promql_parser.VectorSelector):
                raise ValueError(f"input series {selector!r} is not a plain series selector")
            samples = series_samples(values) if isinstance(values, str) else None
            if samples is None:
                raise ValueError(f"input series {selector!r}: {values!r} is not promtool's values notation")
            if samples > MAX_SCENARIO_SAMPLES:
                raise ValueError(f"input series {selector!r}: {samples} samples, more than {MAX_SCENARIO_SAMPLES}")
        times = self.at if isinstance(self.at, tuple | list) else (self.at,)
        if not times:
            raise ValueError("at: needs at least one evaluation time")
        self._set("at", tuple(seconds(t, "at") for t in times))
        if max(self.at) > MAX_SCENARIO_SPAN:
            raise ValueError(f"at: {max(self.at):g}s is later than {MAX_SCENARIO_SPAN // 86400} days")
        for field in ("interval", "evaluation_interval"):
            if getattr(self, field) is not None:
                self._set(field, seconds(getattr(self, field), field))
        for firing in self.fires:
            _check_labels(firing.labels, "fires")


@attrs.frozen
class Runbook:
    meaning: str
    steps: tuple[str, ...] = attrs.field(converter=tuple)


@attrs.frozen
class Alert(Checked):
    """An alerting rule with what the runbook and the guide's tables say about it."""

    name: str
    expr: str
    severity: str
    service: str | None  # None: the expression itself yields a `service` label
    summary: str
    description: str
    runbook: Runbook
    condition: str  # the guide's "Condition" column
    check: str  # the guide's "Check" column
    threshold: str  # the guide's "Threshold" column, from settings
    for_: str | float = 0
    keep_firing_for: str | float = 0
    labels: Mapping[str, str] = attrs.field(factory=dict)
    scenarios: tuple[Scenario, ...] = attrs.field(default=(), converter=tuple)
    lint_disable: Mapping[str, str] = attrs.field(factory=dict)  # lint rule id -> why it does not apply
    kind = "alert"

    def _check(self) -> None:
        if not isinstance(self.name, str) or not _ALERT_NAME.match(self.name):
            raise ValueError(f"name {self.name!r} is not a valid alert name (letters, digits, _)")
        parse_promql(self.expr)
        if not isinstance(self.severity, str):
            raise ValueError(f"severity {self.severity!r} is not a string")
        if self.service is not None and (not isinstance(self.service, str) or not _SLUG.match(self.service)):
            raise ValueError(f"service {self.service!r} is not a lower-case name")
        for field in ("summary", "description", "condition", "check", "threshold"):
            if not isinstance(getattr(self, field), str):
                raise ValueError(f"{field} must be a string")
        for field in ("summary", "description"):
            templates.check_template(getattr(self, field))
        check_lint_disable(self.lint_disable)
        self._set("for_", seconds(self.for_, "for"))
        self._set("keep_firing_for", seconds(self.keep_firing_for, "keep_firing_for"))
        _check_labels(self.labels, "labels")
        reserved = {"severity", "service", "alertname"} & set(self.labels)
        if reserved:
            raise ValueError(f"labels: {', '.join(sorted(reserved))} are set by their own fields")
        for scenario in self.scenarios:
            for firing in scenario.fires:
                if self.service is None and "service" not in firing.labels:
                    raise ValueError(f"scenario {scenario.name!r}: service comes from the expression, so expect it")
                if templates.uses_value(self.description) and firing.value is None:
                    raise ValueError(f"scenario {scenario.name!r}: expected alerts need the observed value")

    @property
    def static_labels(self) -> dict[str, str]:
        service = {"service": self.service} if self.service else {}
        return {"severity": self.severity, **service, **self.labels}


@attrs.frozen
class RecordingRule(Checked):
    name: str
    expr: str
    labels: Mapping[str, str] = attrs.field(factory=dict)
    lint_disable: Mapping[str, str] = attrs.field(factory=dict)
    kind = "recording rule"

    def _check(self) -> None:
        if not isinstance(self.name, str) or not _METRIC_NAME.match(self.name):
            raise ValueError(f"name {self.name!r} is not a valid metric name")
        parse_promql(self.expr)
        _check_labels(self.labels, "labels")
        check_lint_disable(self.lint_disable)


@attrs.frozen
class ScrapeJob(Checked):
    """A plain scrape job: Prometheus fetches `metrics_path` from each target."""

    name: str
    targets: tuple[str, ...] = attrs.field(converter=tuple)
    metrics_path: str = "/metrics"
    description: str = ""
    sources: tuple[str, ...] = attrs.field(default=(), converter=tuple)  # catalog sources its targets serve
    # False: samples are stamped at scrape time, so a target's series that vanish go stale at the
    # next scrape even when the target exposes its own timestamps (cAdvisor).
    honor_timestamps: bool = True
    # A target that may take longer than a short scrape interval to answer: its job scrapes at
    # least this often, with a timeout as long (0: the interval of every job).
    min_interval: float = 0
    # A file holding the bearer token the targets require, as Prometheus sees it ("": none).
    credentials_file: str = ""
    # The service its targets are, when the job's name is not it (MinIO's second endpoint): the
    # ServiceMonitor selects that service's Service and token ("": the job's name).
    service: str = ""
    kind = "scrape job"

    def _check(self) -> None:
        if not _SLUG.match(self.name):
            raise ValueError(f"name {self.name!r} is not a lower-case name")
        if not self.targets:
            raise ValueError("needs at least one target")
        if not self.metrics_path.startswith("/"):
            raise ValueError(f"metrics_path {self.metrics_path!r} must start with /")
        if self.credentials_file and not self.credentials_file.startswith("/"):
            raise ValueError(f"credentials_file {self.credentials_file!r} must be an absolute path")


@attrs.frozen
class BlackboxModule(Checked):
    """A blackbox_exporter module: how one kind of probe succeeds."""

    name: str
    prober: str
    timeout: str | float
    http: Mapping[str, Any] = attrs.field(factory=dict)
    kind = "blackbox module"

    def _check(self) -> None:
        if not _SLUG.match(self.name):
            raise ValueError(f"name {self.name!r} is not a lower-case name")
        if self.prober not in PROBERS:
            raise ValueError(f"prober {self.prober!r} is not one of {', '.join(PROBERS)}")
        self._set("timeout", seconds(self.timeout, "timeout"))
        patterns = (
            *self.http.get("fail_if_body_not_matches_regexp", ()),
            *self.http.get("fail_if_body_matches_regexp", ()),
        )
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"body pattern {pattern!r} is not a regex: {exc}") from exc


@attrs.frozen
class Probe(Checked):
    """A blackbox probe of one URL with one module; `check` names it in the `check` label."""

    check: str
    module: str
    url: str
    job: str
    # On a cluster: every pod of ratd is probed on its own (at the URL's port and path, found
    # through Kubernetes service discovery), not whichever pod the URL's Service picks.
    each_pod: bool = False
    interval: float | None = None  # seconds between probes; None: the scrape interval
    kind = "probe"

    @property
    def name(self) -> str:
        return self.check

    def _check(self) -> None:
        if not _SLUG.match(self.check):
            raise ValueError(f"check {self.check!r} is not a lower-case name")
        if not re.match(r"^https?://", self.url):
            raise ValueError(f"url {self.url!r} must be http(s)")
        if self.interval is not None and not self.interval > 0:
            raise ValueError(f"interval {self.interval!r} must be positive")


@attrs.frozen
class Route(Checked):
    """An Alertmanager route under the root: alerts matching `matchers` go to `receiver`."""

    name: str
    matchers: tuple[str, ...] = attrs.field(converter=tuple)
    receiver: str | None  # None: matched alerts are swallowed (dashboard only)
    group_wait: str | float | None = None
    group_interval: str | float | None = None
    repeat_interval: str | float | None = None
    active_time_intervals: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    group_by: tuple[str, ...] = attrs.field(default=(), converter=tuple)  # (): the root's grouping
    # On a cluster our routes take only the alerts of RAT's namespace; a cluster-wide route takes
    # its alerts from every namespace (the stack's Watchdog, which has none).
    cluster_wide: bool = False
    kind = "route"

    def _check(self) -> None:
        _check_matchers(self.matchers, "matchers")
        for label in self.group_by:
            if not isinstance(label, str) or not _LABEL_NAME.match(label):
                raise ValueError(f"group_by: {label!r} is not a label name")
        for field in ("group_wait", "group_interval", "repeat_interval"):
            if getattr(self, field) is not None:
                self._set(field, seconds(getattr(self, field), field))


@attrs.frozen
class Inhibition(Checked):
    """While an alert matching `source` fires, alerts matching `target` (and equal on `equal`) are muted."""

    name: str
    source: tuple[str, ...] = attrs.field(converter=tuple)
    target: tuple[str, ...] = attrs.field(converter=tuple)
    equal: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    kind = "inhibition"

    def _check(self) -> None:
        _check_matchers(self.source, "source")
        _check_matchers(self.target, "target")


@attrs.frozen
class RuleGroup:
    """The rules one module defines: one Prometheus rule group and one rule file."""

    name: str
    file: str
    recording_rules: tuple[RecordingRule, ...]
    alerts: tuple[Alert, ...]
