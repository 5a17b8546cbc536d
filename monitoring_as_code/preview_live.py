"""`mac preview --prometheus-url`: the dashboards' previews drawing what a real Prometheus returns
(query_range over the dashboards' time range), instead of the scenarios' samples."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from monitoring_as_code.dashboard import LOKI, PROMETHEUS, Dashboard, expanded_promql
from monitoring_as_code.duration import format_duration
from monitoring_as_code.panels.svg import Sample, Series
from monitoring_as_code.preview_samples import MAX_SERIES, legend
from monitoring_as_code.settings import Settings
from monitoring_as_code.verify import prometheus_api

POINTS = 240  # per series: about what a wide panel shows (svg.thinned keeps one per 2 px)
NOT_ASKED = "Loki is not asked: only Prometheus' series are drawn"


def answering(base: str) -> None:
    """Fail at once, in one line, when nothing at `base` answers as a Prometheus."""
    prometheus_api(base, "status/buildinfo", {})


def query_range(
    base: str, expr: str, start: float, end: float, step: float
) -> list[tuple[dict[str, str], tuple[float, ...]]]:
    """(labels, values) of each series of a range query; NaN is a gap (an infinity is shown as one)."""
    params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
    return [
        (dict(item["metric"]), tuple(v for v in (float(value) for _, value in item["values"]) if not math.isnan(v)))
        for item in prometheus_api(base, "query_range", params)["result"]
    ]


def live_samples(base: str, dashboard: Dashboard, settings: Settings, end: float) -> dict[int, Sample]:
    """Each panel's series as Prometheus returns them for the dashboards' time range up to `end`."""
    span = settings.grafana.time_range
    step = max(math.ceil(span / POINTS), settings.intervals.scrape)
    drawn: dict[int, list[Series]] = {panel.id: [] for panel in dashboard.panels}
    targets = [t for p in dashboard.panels if p.dataSource["type"] == PROMETHEUS for t in p.targets]
    for (panel, expr), target in zip(expanded_promql(dashboard, settings), targets, strict=True):
        for labels, values in query_range(base, expr, end - span, end, step):
            if values:
                drawn[panel.id].append(Series(legend(target.legendFormat, labels), values))
    return {
        panel.id: Sample(
            series=tuple(drawn[panel.id][:MAX_SERIES]), source=NOT_ASKED if panel.dataSource["type"] == LOKI else ""
        )
        for panel in dashboard.panels
    }


def live_source(base: str, settings: Settings, end: float) -> str:
    """The legend's line: whose data, over which range."""
    when = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    span = format_duration(settings.grafana.time_range)
    return f"what the Prometheus at {base} returned (query_range) over the {span} up to {when}"
