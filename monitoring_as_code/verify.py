"""`mac verify`: does a live target expose what the monitoring reads?

Parses Prometheus expositions (a /metrics URL or a saved file) with prometheus_client's parser,
compares them with the metric catalog, and names every alert, recording rule and panel that
would be blind: it selects a metric the target does not expose, or relies on a label the
target's samples do not carry. Only the catalog sources a target exposes at least one metric of
are compared, so a ratd exposition is not blamed for node-exporter's metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

from monitoring_as_code.catalog import CATALOG, PROBE_LABELS, TARGET_LABELS, Metric
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.promql import label_usage
from monitoring_as_code.settings import read_regular_file

MAX_EXPOSITION_BYTES = 64 << 20  # ratd's exposition is kilobytes; a cap keeps /dev/zero or a runaway target out


@attrs.frozen
class Consumer:
    """Something that reads series: an alert, a recording rule, a dashboard panel."""

    kind: str
    name: str
    expressions: tuple[str, ...]


@attrs.frozen
class Gap:
    """A catalog series (and, for a missing label, that label) a target does not expose."""

    series: str
    label: str | None
    blinded: tuple[str, ...]

    def __str__(self) -> str:
        what = f"label {self.label!r} of {self.series}" if self.label else self.series
        return f"missing {what}; blinds {', '.join(self.blinded) or 'nothing'}"


def read_exposition(source: str) -> str:
    """The text of an exposition: `source` is a URL (http/https) or a file path."""
    import urllib.request  # only `mac verify` needs these: kept out of every other command's start-up

    try:
        if not source.startswith(("http://", "https://")):
            # A regular file only (not a FIFO or /dev/zero), and no larger than a target's metrics.
            return read_regular_file(Path(source), MAX_EXPOSITION_BYTES, "one target's metrics").decode("utf-8")
        with urllib.request.urlopen(source, timeout=10) as response:
            body = response.read(MAX_EXPOSITION_BYTES + 1)
        if len(body) > MAX_EXPOSITION_BYTES:
            raise DefinitionError(
                f"larger than {MAX_EXPOSITION_BYTES >> 10} KiB; not one target's metrics", file=source
            )
        return body.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"cannot read the exposition: {exc}", file=source) from exc


def exposed_series(text: str, source: str) -> dict[str, set[str]]:
    """Series name -> every label seen on its samples."""
    from prometheus_client.parser import text_string_to_metric_families

    series: dict[str, set[str]] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                series.setdefault(sample.name, set()).update(sample.labels)
    except ValueError as exc:
        raise DefinitionError(f"not a Prometheus exposition: {exc}", file=source) from exc
    return series


def _consumers_by_series(
    consumers: Iterable[Consumer], recording: Mapping[str, tuple[str, ...]]
) -> dict[str, dict[str, set[str]]]:
    """Series -> consumer label -> the labels it relies on, following recording rules down to
    the scraped series they read."""
    out: dict[str, dict[str, set[str]]] = {}

    def add(who: str, expressions: Iterable[str], seen: frozenset[str]) -> None:
        for expr in expressions:
            for name, labels in label_usage(expr).items():
                if name in recording and name not in seen:
                    add(who, recording[name], seen | {name})
                out.setdefault(name, {}).setdefault(who, set()).update(labels)

    for consumer in consumers:
        add(f"{consumer.kind} {consumer.name}", consumer.expressions, frozenset())
    return out


def find_gaps(
    exposition: Mapping[str, set[str]],
    consumers: Iterable[Consumer],
    recording: Mapping[str, tuple[str, ...]],
    catalog: Iterable[Metric] = CATALOG,
) -> list[Gap]:
    catalog = list(catalog)
    exposed_sources = {m.source for m in catalog for s in m.series() if s in exposition}
    usage = _consumers_by_series(consumers, recording)
    gaps = []
    for metric in catalog:
        if metric.source not in exposed_sources:
            continue
        for series, labels in metric.series().items():
            users = usage.get(series, {})
            if series not in exposition:
                gaps.append(Gap(series, None, tuple(sorted(users))))
                continue
            # job, instance and check are attached by Prometheus, not exposed by the target.
            for label in sorted(labels - TARGET_LABELS - PROBE_LABELS - exposition[series]):
                blinded = tuple(sorted(who for who, used in users.items() if label in used))
                gaps.append(Gap(series, label, blinded))
    return gaps
