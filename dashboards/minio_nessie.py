"""MinIO and Nessie from their own metrics: what RAT's data and its catalog stand on. Each panel
reads what an alert of alerts/minio.py or alerts/nessie.py reads, with its threshold, but for
MinIO's per-drive free space (its node endpoint), drawn against the capacity alert's threshold. On a cluster
only the services kubernetes.in_cluster lists are drawn, and with neither there is no dashboard."""

from __future__ import annotations

from grafanalib import core

from alerts import minio, nessie
from alerts._shared import monitored_here, window
from dashboards._shared import platform_dashboard, prometheus_variable, query, state_stat, threshold_lines
from monitoring_as_code.dashboard import Dashboard, grid, ref
from monitoring_as_code.settings import Settings


def _percent(
    panel_id: int,
    title: str,
    description: str,
    expr: str,
    metrics: dict[str, str],
    levels: dict[str, object],
    legend: str = "{{instance}}",
) -> core.TimeSeries:
    return core.TimeSeries(
        id=panel_id,
        title=title,
        description=description,
        dataSource=metrics,
        targets=[query(expr, legend)],
        unit="percent",
        **levels,
    )


def define(settings: Settings) -> list[Dashboard]:
    t, rate = settings.thresholds, "$__rate_interval"
    prometheus = prometheus_variable(settings)
    metrics = ref(prometheus)
    offline = state_stat(
        1,
        "MinIO Offline",
        "Nodes and drives MinIO counts offline (RatMinioNodeOffline, RatMinioDriveOffline). "
        "No data: Prometheus cannot scrape MinIO (its bearer token, or MinIO down: RatS3Down).",
        metrics,
        [
            query(minio.cluster("minio_cluster_nodes_offline_total"), "nodes", instant=True),
            query(minio.cluster("minio_cluster_drive_offline_total"), "drives", ref_id="B", instant=True),
        ],
        [core.Threshold("green", 0, 0.0), core.Threshold("red", 1, 1.0)],
        "no MinIO data",
    )
    capacity = _percent(
        2,
        "MinIO Usable Capacity Free",
        f"Usable capacity free. Below {t.minio_capacity_free_percent:g}% for "
        f"{window(t.minio_capacity_for)}: RatMinioCapacityLow.",
        minio.usable_free_percent(),
        metrics,
        threshold_lines(("green", t.minio_capacity_free_percent), base="red"),
    )
    # The node endpoint's own drives: the cluster's usable capacity hides one drive filling first.
    drives = _percent(
        6,
        "MinIO Drive Free",
        f"Each drive's free space (MinIO's node metrics). The line is RatMinioCapacityLow's "
        f"{t.minio_capacity_free_percent:g}%, which reads the cluster's usable capacity, not a drive.",
        minio.drive_free_percent(),
        metrics,
        threshold_lines(("green", t.minio_capacity_free_percent), base="red"),
        "{{instance}} {{drive}}",
    )
    s3_errors, http_errors = (
        _percent(
            panel_id,
            title,
            f"{what} answered 5xx. Above {limit:g}% (with at least {min_rps:g} requests/s): {alert}.",
            ratio.percent(rate),
            metrics,
            threshold_lines(("red", limit)),
        )
        for panel_id, title, what, ratio, limit, min_rps, alert in (
            (
                3,
                "MinIO S3 Server Errors",
                "S3 requests",
                minio.S3_ERRORS,
                t.minio_s3_error_percent,
                t.minio_s3_errors_min_rps,
                "RatMinioS3Errors",
            ),
            (
                4,
                "Nessie HTTP Server Errors",
                "Nessie's HTTP requests",
                nessie.HTTP_ERRORS,
                t.nessie_http_error_percent,
                t.nessie_http_errors_min_rps,
                "RatNessieHttpErrors",
            ),
        )
    )
    heap = _percent(
        5,
        "Nessie JVM Heap",
        f"Heap used against its maximum. Above {t.nessie_heap_percent:g}%: RatNessieHeapHigh.",
        nessie.heap_percent(),
        metrics,
        threshold_lines(("red", t.nessie_heap_percent)),
    )
    with_minio, with_nessie = monitored_here(minio.SERVICE, settings), monitored_here(nessie.SERVICE, settings)
    if with_minio and with_nessie:
        title = "RAT MinIO and Nessie"
        description = "MinIO (RAT's object store) and Nessie (its Iceberg catalog) from their own metrics."
        rows = (
            (6, [(6, offline), (18, capacity)]),
            (8, [(12, s3_errors), (12, http_errors)]),
            (8, [(12, drives), (12, heap)]),
        )
    elif with_minio:
        title, description = "RAT MinIO", "MinIO (RAT's object store) from its own metrics."
        rows = (6, [(6, offline), (18, capacity)]), (8, [(12, s3_errors), (12, drives)])
    elif with_nessie:
        title, description = "RAT Nessie", "Nessie (RAT's Iceberg catalog) from its own metrics."
        rows = ((8, [(12, http_errors), (12, heap)]),)
    else:
        return []
    # The uid stays whichever services are drawn: links to the dashboard keep working.
    return [platform_dashboard("rat-minio-nessie", title, description, prometheus, grid(*rows))]
