"""The metric catalog: every series the definitions may select, with its type and labels.

The PromQL checks read it to refuse an unknown metric or label, a rate over a gauge, a quantile
that drops `le`; `mac verify` compares it with what a live target exposes. The exporters' metrics
below are the subset of their documented metrics that RAT's monitoring uses; ratd's own metrics
differ between RAT versions, so each RAT profile (alerts/profile_*.py) brings them. Labels that
Prometheus attaches to every scraped series (`job`, `instance`, and the probes' `check`) are
added by `series_catalog`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

COUNTER, GAUGE, HISTOGRAM, SUMMARY = "counter", "gauge", "histogram", "summary"
TARGET_LABELS = frozenset({"job", "instance"})
PROBE_LABELS = frozenset({"check"})  # set per probe in prometheus.yml
# Labels a platform adds to every series it scrapes: a cluster Prometheus adds `namespace`.
# Rules group and match by them on every platform (as kubernetes-mixin does with `cluster`), so
# one rule text, tested once, serves compose too, where grouping by an absent label changes nothing.
# Only grouping and matching clauses may name them: a selector matcher on compose would select nothing.
PLATFORM_LABELS = frozenset({"namespace"})
# cAdvisor exports each Docker label as container_label_<name>; Compose sets these two.
COMPOSE_LABELS = ("container_label_com_docker_compose_service", "container_label_com_docker_compose_project")


@attrs.frozen
class Metric:
    name: str
    type: str
    source: str
    help: str
    labels: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    # Emitted only while the subsystem behind it is active (ratd 0.2's pools, plugins, scheduler,
    # SSE): its absence is no fault and blinds nothing.
    conditional: bool = False
    # A histogram's `le` boundaries, where the exposition's are known (an SLO's latency threshold
    # must be one of them).
    buckets: tuple[float, ...] = attrs.field(default=(), converter=tuple)

    def series(self) -> dict[str, frozenset[str]]:
        """The series names this metric exposes, each with its own labels (histograms add
        `_bucket` with `le`, `_sum`, `_count`; summaries add `quantile`)."""
        if self.type == HISTOGRAM:
            return {
                f"{self.name}_bucket": self.labels | {"le"},
                f"{self.name}_sum": self.labels,
                f"{self.name}_count": self.labels,
            }
        if self.type == SUMMARY:
            return {
                self.name: self.labels | {"quantile"},
                f"{self.name}_sum": self.labels,
                f"{self.name}_count": self.labels,
            }
        return {self.name: self.labels}


def metrics(source: str, *rows: tuple[Any, ...]) -> list[Metric]:
    """Catalog rows of one source: (name, type, labels, help), histograms optionally with their buckets."""
    return [
        Metric(name, kind, source, help_, frozenset(labels), buckets=buckets[0] if buckets else ())
        for name, kind, labels, help_, *buckets in rows
    ]


RATD = "ratd"  # the source whose metrics a RAT profile brings
BLACKBOX = "blackbox_exporter"  # the source of every probe job
BACKUP_SOURCE = "backup job (node_exporter textfile collector)"
# Written by the operator's backup job, never by RAT (its Makefile's `backup` target writes no metric).
BACKUP_METRIC = "rat_backup_last_success_timestamp_seconds"
POSTGRES_EXPORTER = "postgres_exporter"
MINIO = "minio"  # MinIO's own v2 cluster metrics (/minio/v2/metrics/cluster)
MINIO_NODE = "minio-node"  # MinIO's v2 node metrics (/minio/v2/metrics/node): its own drives
NESSIE = "nessie"  # Nessie's Quarkus Micrometer metrics (/q/metrics on its management port)
# What an exposition's metric names start with, per source: how `mac verify` tells a saved
# exposition's source without being told.
SOURCE_PREFIXES = {
    RATD: "ratd_",
    BLACKBOX: "probe_",
    "node_exporter": "node_",
    "cadvisor": "container_",
    POSTGRES_EXPORTER: "pg_",
    MINIO: "minio_",
    # Only the node endpoint serves the per-drive series (getLocalStorageMetrics is in MinIO's node
    # groups alone); a node exposition also carries minio_s3_*, so the longer prefix wins (verify.py).
    MINIO_NODE: "minio_node_drive_",
    NESSIE: "jvm_",
    "prometheus": "prometheus_",
    "alertmanager": "alertmanager_",
}

EXPORTER_METRICS: tuple[Metric, ...] = tuple(
    metrics(
        BLACKBOX,
        ("probe_success", GAUGE, (), "Whether the probe succeeded"),
        ("probe_duration_seconds", GAUGE, (), "How long the probe took"),
        ("probe_http_status_code", GAUGE, (), "HTTP status code of the probed response"),
    )
    + metrics(
        "node_exporter",
        ("node_filesystem_avail_bytes", GAUGE, ("device", "fstype", "mountpoint"), "Space available to non-root"),
        ("node_filesystem_size_bytes", GAUGE, ("device", "fstype", "mountpoint"), "Filesystem size"),
        ("node_textfile_scrape_error", GAUGE, (), "1 if reading a textfile collector file failed"),
    )
    + metrics(
        BACKUP_SOURCE,
        (BACKUP_METRIC, GAUGE, (), "Unix time of the last successful backup"),
    )
    + metrics(
        "cadvisor",
        ("container_memory_working_set_bytes", GAUGE, ("id", "name", "image", *COMPOSE_LABELS), "Working set"),
        ("container_spec_memory_limit_bytes", GAUGE, ("id", "name", "image", *COMPOSE_LABELS), "Limit (0: none)"),
        ("container_cpu_usage_seconds_total", COUNTER, ("id", "name", "image", "cpu", *COMPOSE_LABELS), "CPU time"),
        ("container_oom_events_total", COUNTER, ("id", "name", "image", *COMPOSE_LABELS), "OOM kills in the container"),
        ("container_start_time_seconds", GAUGE, ("id", "name", "image", *COMPOSE_LABELS), "Container start, Unix time"),
    )
    # What postgres_exporter serves in both the pinned image (v0.19.1) and Debian's 0.11 the tests
    # run, with the labels both versions carry (docs/postgres.md, "Exporter versions"): 0.11 adds
    # `server` to the legacy maps, 0.17 and later add usename, application_name, backend_type and the wait
    # events to pg_stat_activity_*; the rules sum those away.
    + metrics(
        POSTGRES_EXPORTER,
        ("pg_up", GAUGE, (), "1 if the exporter's last connection to Postgres succeeded"),
        ("pg_exporter_last_scrape_error", GAUGE, (), "1 if the exporter's last scrape of Postgres had an error"),
        ("pg_settings_max_connections", GAUGE, (), "Postgres' max_connections setting"),
        ("pg_stat_database_numbackends", GAUGE, ("datid", "datname"), "Backends connected to each database"),
        ("pg_stat_database_deadlocks", COUNTER, ("datid", "datname"), "Deadlocks detected in each database"),
        ("pg_database_size_bytes", GAUGE, ("datname",), "Disk space each database uses"),
        ("pg_stat_activity_count", GAUGE, ("datname", "state"), "Connections per database and connection state"),
        (
            "pg_stat_activity_max_tx_duration",
            GAUGE,
            ("datname", "state"),
            "Longest open transaction, per database and connection state (seconds)",
        ),
    )
    # What MinIO RELEASE.2024-06-13T22-53-53Z serves at /minio/v2/metrics/cluster, as its
    # cmd/metrics-v2.go defines them (docs/minio.md says which version of the file was read): every
    # series carries `server` (ReportMetrics adds the node's name); the S3 counters carry `api`.
    + metrics(
        MINIO,
        ("minio_cluster_nodes_online_total", GAUGE, ("server",), "Total number of MinIO nodes online"),
        ("minio_cluster_nodes_offline_total", GAUGE, ("server",), "Total number of MinIO nodes offline"),
        ("minio_cluster_drive_online_total", GAUGE, ("server",), "Total drives online in this cluster"),
        ("minio_cluster_drive_offline_total", GAUGE, ("server",), "Total drives offline in this cluster"),
        ("minio_cluster_capacity_usable_total_bytes", GAUGE, ("server",), "Total usable capacity online"),
        ("minio_cluster_capacity_usable_free_bytes", GAUGE, ("server",), "Total free usable capacity online"),
        ("minio_s3_requests_total", COUNTER, ("api", "server"), "Total number of S3 requests"),
    )
    + [
        # Its APIStats map holds an API once one of its requests failed: absent until a first 5xx.
        Metric(
            "minio_s3_requests_5xx_errors_total",
            COUNTER,
            MINIO,
            "S3 requests with (5xx) errors",
            frozenset({"api", "server"}),
            conditional=True,
        )
    ]
    # What the same MinIO serves at /minio/v2/metrics/node and the cluster endpoint does not: the
    # node's own drives (getLocalStorageMetrics, getNodeDrive{Free,Total}BytesMD), one series per
    # `drive` (its path), with `server` as on the cluster endpoint.
    + metrics(
        MINIO_NODE,
        ("minio_node_drive_free_bytes", GAUGE, ("drive", "server"), "Total storage available on a drive"),
        ("minio_node_drive_total_bytes", GAUGE, ("drive", "server"), "Total storage on a drive"),
    )
    # What Nessie 0.99 serves at /q/metrics on its management port (Quarkus Micrometer, Prometheus
    # registry; docs/nessie.md): the HTTP server timer, a summary without quantiles, of which the
    # rules read the count, and the JVM memory binder.
    + metrics(
        NESSIE,
        (
            "http_server_requests_seconds_count",
            COUNTER,
            ("method", "outcome", "status", "uri"),
            "HTTP server requests answered (Micrometer's http.server.requests timer)",
        ),
        ("jvm_memory_used_bytes", GAUGE, ("area", "id"), "The amount of used memory, per memory pool"),
        ("jvm_memory_max_bytes", GAUGE, ("area", "id"), "The maximum memory that can be used, per pool (-1: none)"),
    )
    + metrics(
        "prometheus",
        ("up", GAUGE, (), "1 if the last scrape of the target succeeded"),
        (
            "ALERTS",
            GAUGE,
            ("alertname", "alertstate", "severity", "service", "depends_on"),
            "Pending and firing alerts",
        ),
        ("prometheus_rule_evaluation_failures_total", COUNTER, ("rule_group",), "Failed rule evaluations"),
        ("prometheus_notifications_errors_total", COUNTER, ("alertmanager",), "Errors sending alerts"),
    )
    + metrics(
        "alertmanager",
        ("alertmanager_notifications_failed_total", COUNTER, ("integration", "reason"), "Failed notifications"),
        ("alertmanager_notifications_total", COUNTER, ("integration",), "Notifications attempted"),
    )
)

_SOURCES_WITH_PROBE_LABELS = {BLACKBOX}
_SYNTHETIC = {"ALERTS"}  # made by Prometheus itself: no target labels
# Series Prometheus makes itself rather than scrapes: never missing from a target.
MADE_BY_PROMETHEUS = frozenset({"up", "ALERTS"})


def series_catalog(catalog: Iterable[Metric]) -> dict[str, tuple[Metric, frozenset[str]]]:
    """Series name -> (metric, every label the series can carry)."""
    out: dict[str, tuple[Metric, frozenset[str]]] = {}
    for metric in catalog:
        extra = frozenset() if metric.name in _SYNTHETIC else TARGET_LABELS
        if metric.source in _SOURCES_WITH_PROBE_LABELS:
            extra |= PROBE_LABELS
        for name, labels in metric.series().items():
            out[name] = (metric, labels | extra)
    return out


# On a cluster: what a prometheus-operator ServiceMonitor adds to every series it scrapes (and
# the Probes' static `namespace` label), and the exporters kube-prometheus runs in place of ours.
KUBERNETES_TARGET_LABELS = frozenset({"namespace", "pod", "service", "endpoint", "container"})
KUBELET_CADVISOR = "kubelet (cAdvisor)"
KUBE_STATE_METRICS = "kube-state-metrics"
# kubelet's cAdvisor series: its own labels and those of the kubelet ServiceMonitor's targets.
_KUBELET_CONTAINER = (
    *("namespace", "pod", "container", "id", "image", "name"),
    *("metrics_path", "node", "service", "endpoint"),
)
KUBERNETES_METRICS = tuple(
    metrics(
        KUBELET_CADVISOR,
        ("container_memory_working_set_bytes", GAUGE, _KUBELET_CONTAINER, "Working set, per container"),
        ("container_cpu_usage_seconds_total", COUNTER, (*_KUBELET_CONTAINER, "cpu"), "CPU time, per container"),
    )
    + metrics(
        KUBE_STATE_METRICS,
        (
            "kube_pod_container_resource_limits",
            GAUGE,
            ("namespace", "pod", "container", "node", "resource", "unit", "uid"),
            "A container's resource limit (resource=memory: bytes)",
        ),
        # One series per Endpoints object, and one per address of it (`ready`: "true" while the
        # pod is ready); kube-state-metrics 2.14 removed the per-object counts of both.
        ("kube_endpoint_info", GAUGE, ("namespace", "endpoint"), "An Endpoints object (a Service's)"),
        (
            "kube_endpoint_address",
            GAUGE,
            ("namespace", "endpoint", "ip", "ready"),
            "An address of an Endpoints object, ready or not",
        ),
    )
)


def on_kubernetes(catalog: Iterable[Metric]) -> tuple[Metric, ...]:
    """The catalog as a cluster Prometheus sees it: scraped series carry the Kubernetes target
    labels, and kubelet's cAdvisor and kube-state-metrics replace our cAdvisor."""
    replaced = {m.name for m in KUBERNETES_METRICS}
    kept = tuple(
        m if m.name in _SYNTHETIC else attrs.evolve(m, labels=m.labels | KUBERNETES_TARGET_LABELS)
        for m in catalog
        if m.name not in replaced
    )
    return kept + KUBERNETES_METRICS
