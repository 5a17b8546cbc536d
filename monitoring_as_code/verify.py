"""`mac verify`: does what RAT and the exporters really serve feed what the monitoring reads?

Two ways to look:
- an exposition (a /metrics URL or a saved file) of one source, stated with `--source` or told
  by its metric names' prefix (`ratd_` is ratd), never guessed from overlap;
- a running Prometheus, asked per scrape job whether its targets are up and which series it has.

Either is compared with the metric catalog of the profile in use. Every alert, recording rule and
panel is named that would be blind: its target is down, a metric it reads is not exposed, or a
label it relies on is missing. A metric the catalog marks conditional (emitted only while its
subsystem is active) is reported absent but blinds nothing. An exposition that serves none of its
source's metrics blinds everything reading that source.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from monitoring_as_code.catalog import (
    BLACKBOX,
    MADE_BY_PROMETHEUS,
    PROBE_LABELS,
    SOURCE_PREFIXES,
    TARGET_LABELS,
    Metric,
)
from monitoring_as_code.dashboard import Dashboard, expanded_promql
from monitoring_as_code.definitions import Definitions
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.promql import label_usage
from monitoring_as_code.settings import Settings
from monitoring_as_code.yamlfile import read_regular_file

MAX_EXPOSITION_BYTES = 64 << 20  # ratd's exposition is kilobytes; a cap keeps /dev/zero or a runaway target out

HTTP_TIMEOUT = 10.0

# Why a series fails its readers.
TARGET_DOWN = "target down"
NOT_EXPOSED = "metric not exposed"
NO_SOURCE_METRICS = "serves none of the source's metrics"
LABEL_MISSING = "label not exposed"
INACTIVE = "absent: subsystem inactive"  # a conditional metric: not a fault


@attrs.frozen
class Consumer:
    """Something that reads series: an alert, a recording rule, a dashboard panel."""

    kind: str
    name: str
    expressions: tuple[str, ...]


def consumers(
    defs: Definitions, dashboards: Iterable[Dashboard], settings: Settings
) -> tuple[list[Consumer], dict[str, tuple[str, ...]]]:
    """What reads series (alerts, recording rules, panels), and each recording rule's expression."""
    readers = [Consumer("alert", a.name, (a.expr,)) for a in defs.alerts]
    readers += [Consumer("recording rule", r.name, (r.expr,)) for r in defs.recording_rules]
    for dashboard in dashboards:
        by_panel: dict[str, list[str]] = {}
        for panel, expr in expanded_promql(dashboard, settings):
            by_panel.setdefault(f"{dashboard.uid}/{panel.title}", []).append(expr)
        readers += [Consumer("panel", name, tuple(exprs)) for name, exprs in by_panel.items()]
    return readers, {r.name: (r.expr,) for r in defs.recording_rules}


def scrape_sources(defs: Definitions) -> dict[str, tuple[str, ...]]:
    """Each scrape job Prometheus runs -> the catalog sources its targets serve."""
    jobs = {job.name: job.sources for job in defs.scrape_jobs}
    jobs.update({probe.job: (BLACKBOX,) for probe in defs.probes})
    return jobs


@attrs.frozen
class Gap:
    """A catalog series (or, for a missing label, that label) its readers do not get."""

    series: str
    label: str | None
    reason: str
    readers: tuple[str, ...]

    @property
    def blinds(self) -> bool:
        return self.reason != INACTIVE and bool(self.readers)

    def __str__(self) -> str:
        what = f"label {self.label!r} of {self.series}" if self.label else self.series
        if self.reason == INACTIVE:
            return f"{INACTIVE}: {what}" + (f" (read by {', '.join(self.readers)})" if self.readers else "")
        return f"{self.reason}: {what}; blinds {', '.join(self.readers) or 'nothing'}"


@attrs.frozen
class Scrape:
    """What one scrape job delivers: None when no target of it is up, else series -> labels."""

    job: str
    sources: tuple[str, ...]
    series: Mapping[str, set[str]] | None


def blinded(gaps: Iterable[Gap]) -> list[str]:
    """Every reader some gap blinds, once each, sorted."""
    return sorted({reader for gap in gaps if gap.blinds for reader in gap.readers})


def readers_by_series(
    consumers: Iterable[Consumer], recording: Mapping[str, tuple[str, ...]]
) -> dict[str, dict[str, set[str]]]:
    """Series -> reader -> the labels it relies on, following recording rules down to the
    scraped series they read."""
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
    exposed: Mapping[str, set[str]] | None,
    sources: Iterable[str],
    readers: Mapping[str, Mapping[str, set[str]]],
    catalog: Iterable[Metric],
) -> list[Gap]:
    """The gaps of `sources`' catalog series in what a target exposes (None: it is down)."""
    sources = set(sources)
    wanted = [
        (metric, series, labels)
        for metric in catalog
        if metric.source in sources
        for series, labels in metric.series().items()
        if series not in MADE_BY_PROMETHEUS
    ]
    serves_any = exposed is not None and any(series in exposed for _, series, _ in wanted)
    gaps = []
    for metric, series, labels in wanted:
        users = readers.get(series, {})
        who = tuple(sorted(users))
        if exposed is None:
            gaps.append(Gap(series, None, TARGET_DOWN, who))
        elif not serves_any:
            gaps.append(Gap(series, None, NO_SOURCE_METRICS, who))
        elif series not in exposed:
            gaps.append(Gap(series, None, INACTIVE if metric.conditional else NOT_EXPOSED, who))
        else:
            # job, instance and check are attached by Prometheus, not exposed by the target.
            for label in sorted(labels - TARGET_LABELS - PROBE_LABELS - exposed[series]):
                users_of_label = tuple(sorted(w for w, used in users.items() if label in used))
                gaps.append(Gap(series, label, LABEL_MISSING, users_of_label))
    return gaps


# -- expositions ----------------------------------------------------------------------------------
def read_exposition(source: str) -> str:
    """The text of an exposition: `source` is a URL (http/https) or a file path."""
    try:
        if not source.startswith(("http://", "https://")):
            # A regular file only (not a FIFO or /dev/zero), and no larger than a target's metrics.
            return read_regular_file(Path(source), MAX_EXPOSITION_BYTES, "one target's metrics").decode("utf-8")
        with urllib.request.urlopen(source, timeout=HTTP_TIMEOUT) as response:
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
    from prometheus_client.parser import text_string_to_metric_families  # only verify needs it

    # The parser names a counter's samples <family>_total even where the exposition has no such
    # suffix (postgres_exporter's pg_stat_database_deadlocks); Prometheus stores the name as
    # exposed, so that is the name the rules read.
    as_exposed = {line.split("{", 1)[0].split(" ", 1)[0] for line in text.splitlines() if not line.startswith("#")}
    series: dict[str, set[str]] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                name = sample.name if sample.name in as_exposed or family.name not in as_exposed else family.name
                series.setdefault(name, set()).update(sample.labels)
    except ValueError as exc:
        raise DefinitionError(f"not a Prometheus exposition: {exc}", file=source) from exc
    return series


def exposition_source(series: Iterable[str], stated: str | None, where: str) -> str:
    """The source an exposition comes from: as stated, or the one source whose prefix its
    metric names carry (the longer prefix, where one holds another). Anything else is a question
    for the operator, not a guess."""
    if stated is not None:
        if stated not in SOURCE_PREFIXES:
            raise DefinitionError(f"unknown source {stated!r} (known: {', '.join(sorted(SOURCE_PREFIXES))})")
        return stated
    names = list(series)
    carried = {source: prefix for source, prefix in SOURCE_PREFIXES.items() if any(n.startswith(prefix) for n in names)}
    # MinIO's node endpoint serves minio_s3_* too: minio_node_drive_ names it, not minio_.
    found = sorted(
        source
        for source, prefix in carried.items()
        if not any(other != prefix and other.startswith(prefix) for other in carried.values())
    )
    if len(found) != 1:
        seen = f"it has metrics of {', '.join(found)}" if found else "no metric name carries a known prefix"
        raise DefinitionError(
            f"cannot tell which source this exposition comes from ({seen}): name it with --source", file=where
        )
    return found[0]


# -- a running Prometheus -------------------------------------------------------------------------
def prometheus_api(base: str, path: str, params: Mapping[str, str]) -> Any:
    """The data of one Prometheus HTTP API call; any failure is one DefinitionError naming the URL."""
    url = f"{base.rstrip('/')}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:
            body = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise DefinitionError(f"cannot ask Prometheus: {exc}", file=base) from exc
    if body.get("status") != "success":
        raise DefinitionError(f"Prometheus answered {body.get('error', body)!r}", file=url)
    return body["data"]


def scrapes(base: str, jobs: Mapping[str, tuple[str, ...]], catalog: Iterable[Metric]) -> list[Scrape]:
    """For each job (name -> its catalog sources): None when none of its targets is up, else the
    catalog series it has now, with their labels."""
    health: dict[str, set[str]] = {}
    for target in prometheus_api(base, "targets", {"state": "active"})["activeTargets"]:
        health.setdefault(target["labels"].get("job", target.get("scrapePool", "")), set()).add(target["health"])
    catalog = list(catalog)
    out = []
    for job, sources in sorted(jobs.items()):
        if "up" not in health.get(job, set()):
            out.append(Scrape(job, sources, None))
            continue
        names = sorted(s for m in catalog if m.source in sources for s in m.series())
        selector = f'{{job="{job}",__name__=~"{"|".join(names)}"}}'
        series: dict[str, set[str]] = {}
        for sample in prometheus_api(base, "query", {"query": selector})["result"]:
            labels = dict(sample["metric"])
            series.setdefault(labels.pop("__name__"), set()).update(labels)
        out.append(Scrape(job, sources, series))
    return out
