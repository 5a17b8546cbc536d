"""Service level objectives: the typed model, its settings, and its expansion into the recording
rules and multi-window, multi-burn-rate alerts of the Google SRE workbook ("Alerting on SLOs").

An SLO is written once (`slos/*.py`, numbers in monitoring.yaml's `slos`) and expanded here,
renderer-independently, into `RecordingRule` and `Alert` objects. They join the other rule groups,
so rule files, promtool tests, the runbook, routing and lint treat them like any other rule.

The numbers: objective 99.9% -> error budget b = 0.1% of the events in the compliance window.
A burn rate B spends the budget B times as fast as the window allows, so it is gone after
window / B. An alert pair (B, long, short) fires while the error ratio over both windows is
above B * b. Each alert's scenarios are computed from the same numbers (`scenarios`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs

from monitoring_as_code.checked import Checked
from monitoring_as_code.duration import format_duration, parse_duration
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import Alert, Firing, RecordingRule, Runbook, Scenario, check_lint_disable
from monitoring_as_code.promql import parse_promql
from monitoring_as_code.settings import Section, Settings

_SLO_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_SERVICE = re.compile(r"^[a-z][a-z0-9_-]*$")
PAGE, TICKET = "critical", "warning"  # the severities of the two alerts of every SLO
# Scenario sampling: the coarsest of these that divides every window of an alert and leaves
# the shortest one at least MIN_WINDOW_SAMPLES samples: promtool evaluates every rule over its
# whole window at every step, so the cost grows with the square of the samples in a window.
SAMPLE_INTERVALS = tuple(parse_duration(d) for d in ("15s", "30s", "1m", "2m", "5m", "10m", "15m", "30m", "1h"))
MIN_WINDOW_SAMPLES = 5
NEAR = Fraction(1, 10)  # "just above" is 10% above a threshold, "just below" 10% below
SHOWN_DECIMALS = 1  # of the burn rate in the alerts' description


# -- settings ---------------------------------------------------------------------------------
@attrs.frozen
class BurnWindow:
    """One condition of an alert: the error ratio over `long` and over `short` both above
    burn_rate x budget. The short window lets the alert reset soon after the burn stops."""

    burn_rate: float
    long: float
    short: float

    @property
    def text(self) -> str:
        return f"{_num(self.burn_rate)}x over {format_duration(self.long)} and {format_duration(self.short)}"


@attrs.frozen
class SloSettings:
    """monitoring.yaml's `slos`: the SLOs' numbers."""

    compliance_window: float
    objectives: Mapping[str, float]  # SLO name -> percent of good events
    request_latency_seconds: float  # guide: what "fast" means; an `le` boundary of the histogram
    page: tuple[BurnWindow, ...]
    ticket: tuple[BurnWindow, ...]


def _windows(data: list[dict[str, Any]], where: str) -> tuple[BurnWindow, ...]:
    out = []
    for index, spec in enumerate(data):
        try:
            long, short = parse_duration(spec["long"]), parse_duration(spec["short"])
        except ValueError as exc:
            raise DefinitionError(str(exc), obj=f"settings slos.{where}[{index}]") from exc
        if short >= long:
            raise DefinitionError(
                f"short window {spec['short']} must be shorter than the long window {spec['long']}",
                obj=f"settings slos.{where}[{index}]",
            )
        out.append(BurnWindow(float(spec["burn_rate"]), long, short))
    return tuple(out)


def slo_settings(data: Mapping[str, Any], core: Settings) -> SloSettings:
    """The typed `slos` section (the schema has checked its shape; the burn windows, in lists, are
    parsed here)."""
    return SloSettings(
        compliance_window=data["compliance_window"],  # parsed with the schema's other durations
        objectives={k: float(v) for k, v in data["objectives"].items()},
        request_latency_seconds=float(data["request_latency_seconds"]),
        page=_windows(data["page"], "page"),
        ticket=_windows(data["ticket"], "ticket"),
    )


SECTION = Section("slos", "monitoring_as_code", slo_settings, schema_file="slo.schema.json")


# -- the SLIs ---------------------------------------------------------------------------------
@attrs.frozen
class ProbeSli:
    """The share of successful probes: `selector` is a probe_success selector (0 or 1 per probe)."""

    selector: str

    def error_ratio(self, window: str, by: str = "") -> str:
        return f"1 - avg{by}(avg_over_time({self.selector}[{window}]))"

    @property
    def text(self) -> str:
        return f"share of successful probes, {self.selector}"

    @property
    def history(self) -> str:
        """A selector whose samples show the SLI has data at a time (the start of a window)."""
        return self.selector

    def inputs(self, errors: Sequence[Fraction]) -> dict[str, str]:
        return {self.selector: _gauge_values([(1 - e, n) for e, n in _runs(errors)])}


@attrs.frozen
class RequestsSli:
    """The share of requests not answered in error: `bad` and `total` select counters."""

    bad: str
    total: str
    bad_series: str  # a series `bad` selects and `total` too, for the scenarios
    good_series: str  # a series only `total` selects

    def error_ratio(self, window: str, by: str = "") -> str:
        return f"sum{by}(rate({self.bad}[{window}]))\n/\nsum{by}(rate({self.total}[{window}]))"

    @property
    def text(self) -> str:
        return f"share of {self.total} not matching {self.bad}"

    @property
    def history(self) -> str:
        return self.total

    def inputs(self, errors: Sequence[Fraction]) -> dict[str, str]:
        return {
            self.bad_series: _counter_values([(EVENTS * e, n) for e, n in _runs(errors)]),
            self.good_series: _counter_values([(EVENTS * (1 - e), n) for e, n in _runs(errors)]),
        }


@attrs.frozen
class LatencySli:
    """The share of requests answered within `threshold` seconds, from a histogram's bucket whose
    `le` is the threshold (lint checks that the histogram has that boundary)."""

    histogram: str  # the metric name, without _bucket
    matchers: str  # e.g. job="ratd"
    threshold: float

    @property
    def le_matcher(self) -> str:
        # client_golang writes le="1", Python's client and Prometheus 3's scrape normalization "1.0".
        if float(self.threshold).is_integer():
            return f'le=~"{int(self.threshold)}(\\\\.0)?"'
        return f'le="{self.threshold!r}"'

    def error_ratio(self, window: str, by: str = "") -> str:
        fast = f"{self.histogram}_bucket{{{self.matchers},{self.le_matcher}}}"
        count = f"{self.histogram}_count{{{self.matchers}}}"
        return f"1 - (\n  sum{by}(rate({fast}[{window}]))\n/\n  sum{by}(rate({count}[{window}]))\n)"

    @property
    def text(self) -> str:
        return f"share of {self.histogram} observations within {_num(self.threshold)}s"

    @property
    def history(self) -> str:
        return f"{self.histogram}_count{{{self.matchers}}}"

    def inputs(self, errors: Sequence[Fraction]) -> dict[str, str]:
        fast = f'{self.histogram}_bucket{{{self.matchers},le="{_num(self.threshold)}"}}'
        return {
            fast: _counter_values([(EVENTS * (1 - e), n) for e, n in _runs(errors)]),
            f"{self.histogram}_count{{{self.matchers}}}": _counter_values([(Fraction(EVENTS), len(errors))]),
        }


Sli = ProbeSli | RequestsSli | LatencySli
EVENTS = 1000  # requests per sample interval in the scenarios


# -- the model --------------------------------------------------------------------------------
@attrs.frozen
class SLO(Checked):
    """One objective: `objective` percent of the SLI's events are good over `compliance_window`."""

    name: str  # lower-case words joined by '-': the `slo` label
    service: str
    description: str  # what is promised, in the user's words
    sli: Sli
    objective: float  # percent (lint: strictly between 0 and 100)
    compliance_window: float
    page: tuple[BurnWindow, ...] = attrs.field(converter=tuple)
    ticket: tuple[BurnWindow, ...] = attrs.field(converter=tuple)
    steps: tuple[str, ...] = attrs.field(default=(), converter=tuple)  # the runbook's first steps
    labels: Mapping[str, str] = attrs.field(factory=dict)  # extra labels of both alerts
    lint_disable: Mapping[str, str] = attrs.field(factory=dict)
    # False: the fast burn is a warning, not a page, where other alerts already page for every
    # cause of the burn (and the guide grades some causes a warning).
    pages: bool = True
    kind = "SLO"

    def _check(self) -> None:
        if not isinstance(self.name, str) or not _SLO_NAME.match(self.name):
            raise ValueError(f"name {self.name!r} is not lower-case words joined by '-'")
        if not isinstance(self.service, str) or not _SERVICE.match(self.service):
            raise ValueError(f"service {self.service!r} is not a lower-case name")
        if not isinstance(self.sli, Sli):
            raise ValueError(f"sli must be one of ProbeSli, RequestsSli, LatencySli, not {type(self.sli).__name__}")
        parse_promql(self.sli.error_ratio("1m"))
        number = isinstance(self.objective, int | float) and not isinstance(self.objective, bool)
        if not number or math.isnan(self.objective):
            raise ValueError(f"objective {self.objective!r} is not a percentage")
        if not self.compliance_window > 0:
            raise ValueError("compliance_window must be positive")
        for burn in (*self.page, *self.ticket):
            if not isinstance(burn, BurnWindow):
                raise ValueError(f"{burn!r} is not a BurnWindow")
        check_lint_disable(self.lint_disable)

    @property
    def budget(self) -> float:
        """The error budget: the share of events that may fail over the compliance window
        (rounded, so that 99.9 gives 0.001 and not 0.0010000000000000009)."""
        return round((100 - self.objective) / 100, 12)

    @property
    def metric(self) -> str:
        return self.name.replace("-", "_")

    def error_ratio(self, window: float) -> str:
        """The recording rule of the error ratio over `window`."""
        return f"slo:{self.metric}_errors:ratio_rate{format_duration(window)}"

    @property
    def budget_remaining(self) -> str:
        return f"slo:{self.metric}_error_budget:ratio_remaining{format_duration(self.compliance_window)}"

    @property
    def windows(self) -> tuple[float, ...]:
        """Every window a rule needs, shortest first: the alerts' and the compliance window."""
        alerts = {w for b in (*self.page, *self.ticket) for w in (b.short, b.long)}
        return tuple(sorted(alerts | {self.compliance_window}))

    @property
    def alert_base(self) -> str:
        return "Rat" + "".join(part.capitalize() for part in self.name.split("-"))

    def exhaustion(self, burn_rate: float) -> str:
        """How long the whole budget lasts at this burn rate, and in hours."""
        seconds = round(self.compliance_window / burn_rate)
        return f"{format_duration(seconds)}, {seconds / 3600:.4g}h"


def _num(value: float | Fraction) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


Runs = list[tuple[Fraction, int]]  # (value, how many samples in a row)


def _runs(values: Sequence[Fraction]) -> Runs:
    """The runs of equal values. Scenarios repeat one Fraction object for hours of samples:
    grouped by identity first, each run costs one comparison, not one per sample."""
    runs: list[tuple[Fraction, int]] = []
    for _, group in itertools.groupby(values, key=id):
        first, *rest = group
        if runs and runs[-1][0] == first:
            runs[-1] = (first, runs[-1][1] + 1 + len(rest))
        else:
            runs.append((first, 1 + len(rest)))
    return runs


def _gauge_values(runs: Runs) -> str:
    """promtool's notation for a gauge sampled once per interval, a run as `value x (count - 1)`."""
    return " ".join(_num(value) + (f"x{count - 1}" if count > 1 else "") for value, count in runs)


def _counter_values(increments: Runs) -> str:
    """promtool's notation for a counter that starts at 0 and grows by each increment into its
    sample (the first sample's increment is ignored: sample 0 is the start)."""
    (first, length), *rest = increments
    out, value = ["0"], Fraction(0)
    for step, count in ([(first, length - 1)] if length > 1 else []) + rest:
        value += step
        out.append(f"{_num(value)}+{_num(step)}x{count - 1}" if count > 1 else _num(value))
        value += step * (count - 1)
    return " ".join(out)


# -- expansion --------------------------------------------------------------------------------
def recording_rules(slo: SLO, settings: Settings) -> list[RecordingRule]:
    labels = {"slo": slo.name}
    # A cluster Prometheus scrapes every namespace: two RATs' events must not be pooled. Compose
    # series have no namespace (catalog.PLATFORM_LABELS): the same rule, tested once, serves both.
    by = " by (namespace) "
    rules = [
        RecordingRule(slo.error_ratio(w), slo.sli.error_ratio(format_duration(w), by), labels) for w in slo.windows
    ]
    remaining = f"1 - {slo.error_ratio(slo.compliance_window)} / {_num(slo.budget)}"
    rules.append(RecordingRule(slo.budget_remaining, remaining, labels))
    return rules


def _condition(slo: SLO, burns: Sequence[BurnWindow], settings: Settings) -> str:
    """Any pair with both windows above its burn rate, once the SLI has data as old as the long
    window; the value is the long window's burn rate."""
    budget, edge = _num(slo.budget), format_duration(settings.windows.rate)
    arms = [
        f"(\n  {slo.error_ratio(b.long)} / {budget} > {_num(b.burn_rate)}\n"
        f"and\n  {slo.error_ratio(b.short)} / {budget} > {_num(b.burn_rate)}\n"
        # A window only partly filled (a new Prometheus, RAT started after it) holds a few
        # samples: one failed start-up probe among them would burn at hundreds of times the budget.
        f"and on (namespace) count by (namespace) "
        f"(present_over_time({slo.sli.history}[{edge}] offset {format_duration(b.long)}))\n)"
        for b in burns
    ]
    return "\nor\n".join(arms)


def burn_alerts(slo: SLO, settings: Settings) -> list[Alert]:
    out = []
    for severity, burns, suffix, what in (
        (PAGE if slo.pages else TICKET, slo.page, "FastBurn", "fast"),
        (TICKET, slo.ticket, "SlowBurn", "slow"),
    ):
        if not burns:
            continue  # lint: every SLO has both
        lasts = "; ".join(f"{_num(b.burn_rate)}x: {slo.exhaustion(b.burn_rate)}" for b in burns)
        window = format_duration(slo.compliance_window)
        math_text = (
            f"Objective {_num(slo.objective)}% over {window}: an error budget of {_num(100 * slo.budget)}% of the "
            f"events. A burn rate of N spends it N times as fast as the {window} allow, so the whole budget "
            f"lasts {window} / N ({lasts})."
        )
        bound = outage_bound(slo, burns, settings.intervals.scrape) if what == "fast" else None
        threshold = " or ".join(b.text for b in burns)
        if bound is not None:
            failures, seconds = bound
            threshold += (
                f"; a full outage {_alerts(slo)} after {failures} scrape interval(s), "
                f"within {format_duration(seconds + settings.intervals.evaluation)}"
            )
        out.append(
            Alert(
                name=f"{slo.alert_base}{suffix}",
                expr=_condition(slo, burns, settings),
                severity=severity,
                service=slo.service,
                labels={"slo": slo.name, "burn": what, **slo.labels},
                condition=f"SLO {slo.name}: error budget burning {what}",
                check=slo.sli.text,
                threshold=threshold,
                summary=f"SLO {slo.name} burns its error budget {what}",
                description=(
                    f"{slo.description} The error budget ({_num(100 * slo.budget)}% over {window}) burns "
                    f'{{{{ $value | printf "%.{SHOWN_DECIMALS}f" }}}}x as fast as the objective allows '
                    "(over the long window)."
                ),
                runbook=Runbook(
                    f"{math_text} "
                    + (
                        "This page means the budget is gone within days at this pace: act now."
                        if severity == PAGE
                        else "At this pace the budget is gone within days: find the cause today (a dependency's "
                        "own alert names it)."
                        if what == "fast"
                        else "This ticket means the budget runs out before the window ends: fix it this week."
                    ),
                    [
                        "RAT SLOs dashboard (rat-slos): burn rate per window, budget left, time to exhaustion.",
                        *slo.steps,
                    ],
                ),
                scenarios=scenarios(slo, burns, settings, fast=what == "fast"),
            )
        )
    return out


def expand(slo: SLO, settings: Settings) -> tuple[list[RecordingRule], list[Alert]]:
    """The recording rules and the page and ticket alerts of one SLO."""
    return recording_rules(slo, settings), burn_alerts(slo, settings)


# -- the math behind the scenarios ------------------------------------------------------------
# Samples are taken every `interval` at 0, interval, 2*interval ...; errors[k] is the share of
# events that failed at sample k (for counters: in the interval ending at sample k). A window W
# evaluated at sample m covers the samples from m - W/interval to m, both included, as promtool
# 2.42 (Debian's, which runs these tests) reads a range; a counter's rate over it is the
# increase between its first and last sample, with no extrapolation at aligned edges.
def window_error_ratio(sli: Sli, errors: Sequence[Fraction], m: int, width: int) -> Fraction:
    first = max(0, m - width)
    # A probe counts each sample; a counter the increases between them.
    inside = errors[first : m + 1] if isinstance(sli, ProbeSli) else errors[max(1, first + 1) : m + 1]
    return _exact_sum(inside) / len(inside)


def _exact_sum(values: Sequence[Fraction]) -> Fraction:
    return sum((value * count for value, count in _runs(values)), Fraction(0))


def evaluate(
    slo: SLO, burns: Sequence[BurnWindow], errors: Sequence[Fraction], m: int, interval: float
) -> float | None:
    """The alert's value at sample m (the long window's burn rate of the first pair that fires),
    or None when it is silent."""
    budget = Fraction(slo.budget).limit_denominator(10**9)
    for b in burns:
        if m * interval < b.long:
            continue  # no data as old as the long window yet (the samples start at 0)
        long = window_error_ratio(slo.sli, errors, m, round(b.long / interval))
        short = window_error_ratio(slo.sli, errors, m, round(b.short / interval))
        if long / budget > Fraction(b.burn_rate) and short / budget > Fraction(b.burn_rate):
            return float(long) / slo.budget
    return None


def _off_the_shown_tie(ratio: Fraction, budget: Fraction) -> Fraction:
    """`ratio`, or a little more, so that its burn rate is no tie of the one decimal the
    description shows (1.65x): promtool's float arithmetic and this exact one may round a tie
    apart. Each step moves a tenth of NEAR closer to an error ratio of 1."""
    while abs((ratio / budget * 10**SHOWN_DECIMALS) % 1 - Fraction(1, 2)) < Fraction(1, 10**6):
        ratio += (1 - ratio) * NEAR / 10
    return ratio


def sample_interval(burns: Sequence[BurnWindow], scrape: float) -> float:
    windows = [w for b in burns for w in (b.long, b.short)]
    fitting = [
        i
        for i in SAMPLE_INTERVALS
        if i >= scrape
        and all(round(w * 1000) % round(i * 1000) == 0 for w in windows)
        and min(windows) / i >= MIN_WINDOW_SAMPLES
    ]
    return max(fitting, default=scrape)


def outage_bound(slo: SLO, burns: Sequence[BurnWindow], interval: float) -> tuple[int, float] | None:
    """A full outage after a good history as long as the longest window: how many failed samples
    until the alert fires, and how long that takes. None: it never fires (or there is no budget)."""
    if not 0 < slo.budget < 1:
        return None
    history = round(max(b.long for b in burns) / interval)

    def fires(failures: int) -> bool:
        errors = [Fraction(0)] * (history + 1) + [Fraction(1)] * failures
        return evaluate(slo, burns, errors, len(errors) - 1, interval) is not None

    # Each failure raises every window's error ratio or keeps it, so once the alert fires it
    # fires at every larger count: the least count is found by halving [1, history + 1].
    low, high = 1, history + 1
    if not fires(high):
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fires(middle) else (middle + 1, high)
    return low, low * interval


def _alerts(slo: SLO, plural: bool = True) -> str:
    """What the fast burn does: pages, or (an SLO that does not page) fires."""
    verb = "page" if slo.pages else "fire"
    return verb + "s" if plural else verb


def scenarios(slo: SLO, burns: Sequence[BurnWindow], settings: Settings, *, fast: bool) -> list[Scenario]:
    """The scenarios of one alert, each with its expected result computed by `evaluate`. None
    without an error budget to burn (lint's slo-objective refuses such an objective)."""
    if not 0 < slo.budget < 1:
        return []
    interval = sample_interval(burns, settings.intervals.scrape)

    def samples(seconds: float) -> int:
        return round(seconds / interval)

    budget = Fraction(slo.budget).limit_denominator(10**9)
    longest = samples(max(b.long for b in burns))
    # promtool evaluates the rules once per longest window, not once per sample: each scenario is
    # judged at its last sample, moved onto that grid by repeating its first sample in front
    # (a constant burn, or the good history, which is already longer than any window).
    every = max(b.long for b in burns)
    out: list[Scenario] = []

    def scenario(name: str, errors: list[Fraction]) -> None:
        errors = [errors[0]] * (-(len(errors) - 1) % samples(every)) + errors
        m = len(errors) - 1
        value = evaluate(slo, burns, errors, m, interval)
        fires = [Firing({"slo": slo.name}, value)] if value is not None else []
        out.append(
            Scenario(
                name,
                slo.sli.inputs(errors),
                at=m * interval,
                fires=fires,
                interval=interval,
                evaluation_interval=every,
            )
        )

    for b in burns:
        threshold = Fraction(b.burn_rate) * budget
        above = _off_the_shown_tie(min(threshold * (1 + NEAR), (threshold + 1) / 2), budget)
        scenario(f"fires at a burn just above {b.text}", [above] * (samples(b.long) + 1))
        # Just below, for one long window after a good history: the other pairs see it diluted.
        below = threshold * (1 - NEAR)
        scenario(
            f"silent at a burn just below {b.text}",
            [Fraction(0)] * (longest - samples(b.long) + 1) + [below] * samples(b.long),
        )
    # A fresh start (a new Prometheus, RAT still starting): the first sample fails, and no window
    # holds data as old as itself yet.
    scenario("silent on a fresh start, whatever fails, until a window is full", [Fraction(1)])
    if not fast:
        return out
    fires = _alerts(slo)
    scenario(f"never {fires} at a burn of 1x (exactly on budget)", [budget] * (longest + 1))
    bound = outage_bound(slo, burns, interval)
    if bound is not None:
        failures, seconds = bound
        good = [Fraction(0)] * (longest + 1)
        outage = good + [Fraction(1)] * failures
        scenario(f"a full outage {fires} within {format_duration(seconds)} ({failures} failed sample(s))", outage)
        if failures > 1:
            scenario(
                f"a full outage does not {_alerts(slo, plural=False)} before {failures} failed samples", outage[:-1]
            )
        # Recovery: the outage goes on a while, then every event succeeds again.
        outage = good + [Fraction(1)] * (2 * failures)
        after = outage + [Fraction(0)] * (samples(max(b.short for b in burns)) + 1)
        resolved = next(k for k in range(len(outage), len(after)) if evaluate(slo, burns, after, k, interval) is None)
        alert, after_outage = "page" if slo.pages else "alert", format_duration((resolved - len(outage) + 1) * interval)
        scenario(
            f"recovery resolves the {alert} {after_outage} after the outage",
            after[: resolved + 1],
        )
    return out
