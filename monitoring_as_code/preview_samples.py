"""The fixed sample data the dashboard previews draw, taken from the project's own promtool
scenarios: a panel shows the input series of the first scenario that feeds a metric it reads
(through the recording rules), a counter as its increase per step; a table of ALERTS shows the
alerts the scenarios expect to fire. Nothing here is measured: the legend of each picture says so."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import promql_parser
from grafanalib import core

from monitoring_as_code.dashboard import LOKI, Dashboard, parseable, unit_of
from monitoring_as_code.definitions import Definitions
from monitoring_as_code.model import Alert, RecordingRule
from monitoring_as_code.panels.svg import MAX_POINTS, Sample, Series, thinned
from monitoring_as_code.promql import metric_names

COUNTER_SUFFIXES = ("_total", "_bucket", "_count", "_sum")
ALERTS = "ALERTS"
MAX_SERIES = 8  # per panel: more lines show only a tangle
_LEGEND = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# start, then +step or -step (a sign not after an exponent's e), then xN
_ITEM = re.compile(r"^(-?[0-9.]+(?:e[+-]?[0-9]+)?)(?:([+-][0-9.]+(?:e[+-]?[0-9]+)?))?(?:x([0-9]+))?$")


def expanded(values: str) -> tuple[float, ...]:
    """promtool's values notation ("0+1x3 5 _ stale") as the samples it stands for, without the
    missing ones: "0+1x3" is 0 1 2 3, "1x2" is 1 1 1."""
    out: list[float] = []
    for item in values.split():
        match = _ITEM.match(item)
        if match is None:  # "_", "_xN", "stale": no sample
            continue
        start, step, repeat = float(match.group(1)), float(match.group(2) or 0), int(match.group(3) or 0)
        out += [start + step * i for i in range(repeat + 1)]
    return tuple(out)


def _increase(values: tuple[float, ...]) -> tuple[float, ...]:
    """A counter's increase per step (a reset counts as no increase), the shape rate() draws."""
    return tuple(max(b - a, 0.0) for a, b in itertools.pairwise(values)) or values


def raw_metrics(expr: str, rules: Mapping[str, str]) -> list[str]:
    """The metrics an expression reads, a recording rule replaced by what it reads in turn."""
    names, seen = metric_names(expr), set()
    out: list[str] = []
    while names:
        name = names.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name in rules:
            names += metric_names(rules[name])
        else:
            out.append(name)
    return out


def _selector(text: str) -> tuple[str, dict[str, str]]:
    node = promql_parser.parse(text)
    labels = {m.name: m.value for m in node.matchers.matchers if m.name != "__name__"}
    return node.name or "", labels


def _constant(expr: str) -> float | None:
    """The value of a query that is a number or vector(number), which needs no data."""
    node = promql_parser.parse(expr)
    if isinstance(node, promql_parser.Call) and node.func.name == "vector" and len(node.args) == 1:
        node = node.args[0]
    return float(node.val) if isinstance(node, promql_parser.NumberLiteral) else None


def legend(template: str, labels: Mapping[str, str]) -> str:
    if template:
        return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), template)
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _limit(panel: Any) -> float | None:
    """The largest value a panel's scale shows: a ratio's 100%, or the maximum it declares."""
    unit = unit_of(panel)
    if unit == "percentunit":
        return 1.0
    if unit == "percent":
        return 100.0
    declared = getattr(panel, "max", None) if isinstance(panel, core.GaugePanel) else getattr(panel, "valueMax", None)
    return float(declared) if isinstance(declared, int | float) else None


def _within(series: list[Series], limit: float | None) -> tuple[list[Series], str]:
    """The series scaled down into the panel's scale when an input series (not the panel's
    expression, which may divide it) exceeds it; the note says so."""
    top = max((max(s.values) for s in series if s.values), default=0.0)
    if limit is None or top <= limit:
        return series, ""
    return [Series(s.name, tuple(v * limit / top for v in s.values)) for s in series], ", scaled into the panel's range"


class ScenarioSamples:
    """Each panel's sample from the scenarios of one set of definitions (indexed once per run)."""

    def __init__(self, defs: Definitions) -> None:
        self.rules = {rule.name: rule.expr for rule in defs.recording_rules}
        # metric -> the first scenario feeding it: (alert, scenario, [(labels, values)])
        self.by_metric: dict[str, tuple[str, str, list[tuple[dict[str, str], str]]]] = {}
        firing: dict[str, dict[str, str]] = {}
        for alert in defs.alerts:
            for scenario in alert.scenarios:
                fed: dict[str, list[tuple[dict[str, str], str]]] = {}
                for text, values in scenario.series.items():
                    name, labels = _selector(text)
                    fed.setdefault(name, []).append((labels, values))
                for name, series in fed.items():
                    self.by_metric.setdefault(name, (alert.name, scenario.name, series))
                for fires in scenario.fires:
                    firing.setdefault(alert.name, {"alertname": alert.name, "severity": alert.severity, **fires.labels})
        self.firing = firing

        # Panels repeat queries (and whole panels): each is worked out once per run.
        self._targets: dict[tuple[str, str], tuple[list[Series], str, list[str]]] = {}
        self._panels: dict[tuple[Any, ...], Sample] = {}

    def _target(self, expr: str, legend_format: str) -> tuple[list[Series], str, list[str]]:
        """A query's series, what they are, and the metrics it reads."""
        key = (expr, legend_format)
        if key not in self._targets:
            self._targets[key] = self._read(parseable(expr), legend_format)
        return self._targets[key]

    def _read(self, expr: str, legend_format: str) -> tuple[list[Series], str, list[str]]:
        names = raw_metrics(expr, self.rules)
        if ALERTS in names and self.firing:
            alerts = [
                Series(legend(legend_format or "{{alertname}}", labels), (1.0,)) for labels in self.firing.values()
            ]
            return alerts, "the alerts the promtool scenarios expect to fire", names
        constant = _constant(expr)
        if constant is not None:
            return [Series(legend_format or "value", (constant,))], "the constant the query returns", names
        found = next((self.by_metric[n] + (n,) for n in names if n in self.by_metric), None)
        if found is None:
            return [], "", names
        alert, scenario, fed, name = found
        counter = name.endswith(COUNTER_SUFFIXES)
        series = []
        for labels, values in fed:
            numbers = _increase(expanded(values)) if counter else expanded(values)
            series.append(Series(legend(legend_format, labels), tuple(thinned(numbers, 4 * MAX_POINTS))))
        per_step = " (increase per step)" if counter else ""
        return series, f"{name}{per_step} from promtool scenario {alert}: {scenario!r}", names

    def sample(self, panel: Any) -> Sample:
        targets = tuple((t.expr, t.legendFormat) for t in panel.targets)
        key = (panel.dataSource["type"], targets, _limit(panel))
        if key not in self._panels:
            self._panels[key] = self._sample(panel.dataSource["type"], targets, key[2])
        return self._panels[key]

    def _sample(self, plugin: str, targets: tuple[tuple[str, str], ...], limit: float | None) -> Sample:
        if plugin == LOKI:
            return Sample(
                lines=tuple(f"(a line of {expr.split('}', 1)[0]}}})" for expr, _ in targets),
                source="no scenario has log lines: each row names the stream the panel reads",
            )
        series: list[Series] = []
        sources: list[str] = []
        read: list[str] = []
        for expr, legend_format in targets:
            found, source, names = self._target(expr, legend_format)
            series += found
            sources += [source] if source else []
            read += names
        if not series:
            return Sample(source=f"no promtool scenario feeds {', '.join(dict.fromkeys(read))}")
        series, scaled = _within(series[:MAX_SERIES], limit)
        return Sample(series=tuple(series), source="; ".join(dict.fromkeys(sources)) + scaled)

    def samples(self, dashboard: Dashboard) -> dict[int, Sample]:
        return {panel.id: self.sample(panel) for panel in dashboard.panels}


@attrs.frozen
class Previews:
    """The dashboards whose previews the runbook links to, and their folder relative to it."""

    dashboards: tuple[Dashboard, ...]
    folder: str


class ShowingPanels:
    """Which dashboard panel shows an alert: the one reading most of the recorded series the alert
    reads, then most of its series (the first of equals); else one reading what it reads through
    the recording rules; else the first listing the firing alerts. The panels' queries are parsed
    once and indexed by the series they read."""

    def __init__(self, dashboards: Iterable[Dashboard], rules: Sequence[RecordingRule]) -> None:
        self.rules = {rule.name: rule.expr for rule in rules}
        self.panels: list[tuple[Dashboard, Any]] = []
        # series name -> the panels reading it, directly (0) and through the recording rules (1)
        self.readers: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        parsed: dict[str, tuple[list[str], list[str]]] = {}
        for dashboard in dashboards:
            for panel in dashboard.panels:
                if panel.dataSource["type"] == LOKI:
                    continue
                index = len(self.panels)
                self.panels.append((dashboard, panel))
                for target in panel.targets:
                    if target.expr not in parsed:
                        expr = parseable(target.expr)
                        parsed[target.expr] = (metric_names(expr), raw_metrics(expr, self.rules))
                    for readers, names in zip(self.readers, parsed[target.expr], strict=True):
                        for name in names:
                            found = readers.setdefault(name, [])
                            if not found or found[-1] != index:
                                found.append(index)

    def _best(self, wanted: set[str], readers: dict[str, list[int]]) -> tuple[Dashboard, Any] | None:
        scores: dict[int, list[int]] = {}
        for name in wanted:
            for index in readers.get(name, ()):
                score = scores.setdefault(index, [0, 0])
                score[0] += name in self.rules
                score[1] += 1
        if not scores:
            return None
        best = min(scores, key=lambda i: (-scores[i][0], -scores[i][1], i))
        return self.panels[best]

    def of(self, alert: Alert) -> tuple[Dashboard, Any] | None:
        direct, raw = set(metric_names(alert.expr)), set(raw_metrics(alert.expr, self.rules))
        direct_readers, raw_readers = self.readers
        return self._best(direct, direct_readers) or self._best(raw, raw_readers) or self._best({ALERTS}, raw_readers)
