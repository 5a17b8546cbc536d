"""MinIO from its own metrics (/minio/v2/metrics/cluster, with the bearer token of
compose.secrets.minio_prometheus_token_file): nodes and drives offline, usable capacity, and the
share of S3 requests answered 5xx. /minio/v2/metrics/node, job minio-node with the same token,
feeds the dashboard's per-drive free space; it adds no alert (RatMinioCapacityLow covers space).

MinIO down is ratd's RatS3Down page. Every alert here is a warning of the same service, so the
critical-over-warning inhibition mutes it then; MinIO's series vanish with MinIO, and the scrape
job's own RatScrapeTargetDown (service minio, from the job's name) is muted the same way. A token
missing on day one is `mac preflight`'s message, never an alert: MinIO answers 403 and only
RatScrapeTargetDown, a business-hours warning, would say so. The names and labels read are those
MinIO RELEASE.2024-06-13T22-53-53Z defines (docs/minio.md).

On a cluster the same job is a ServiceMonitor whose bearer token is a Kubernetes Secret
(kubernetes.monitors.minio.bearer_token), and only when kubernetes.in_cluster lists minio: with
a managed S3 in its place there is no MinIO to read, and ratd's RatS3Down still speaks for S3."""

from __future__ import annotations

from alerts._shared import BY_JOB, ErrorRatio, exec_in, held_scenarios, logs, monitored_here, num, pods_of, window
from monitoring_as_code.catalog import MINIO, MINIO_NODE
from monitoring_as_code.model import COMPOSE, KUBERNETES, Alert, Runbook, ScrapeJob
from monitoring_as_code.outputs.compose.secrets import MINIO_PROMETHEUS_TOKEN_FILE
from monitoring_as_code.settings import Settings

PLATFORMS = (COMPOSE, KUBERNETES)  # on a cluster, only when kubernetes.in_cluster lists minio

MINIO_JOB = SERVICE = "minio"  # the job's name is the service RatScrapeTargetDown names
CLUSTER_PATH = "/minio/v2/metrics/cluster"
# The node endpoint: the node's own drives, which the cluster endpoint only counts. Its own job
# (one metrics_path each), of service minio all the same (alerts/meta.py, the ServiceMonitor).
NODE_JOB = f"{MINIO_JOB}-node"
NODE_PATH = "/minio/v2/metrics/node"
JOB = f'job="{MINIO_JOB}"'
BY_TARGET = f"{BY_JOB}, instance"
INSTANCE = "minio:9000"
TARGET = {"job": MINIO_JOB, "instance": INSTANCE}
SERIES = f'{JOB},instance="{INSTANCE}",server="{INSTANCE}"'  # a scenario's series: one node, its own server
PERCENT_0 = '{{ $value | printf "%.0f" }}%'
COUNT = '{{ $value | printf "%.0f" }}'
S3_ERRORS = ErrorRatio(f"minio_s3_requests_5xx_errors_total{{{JOB}}}", f"minio_s3_requests_total{{{JOB}}}", BY_TARGET)


def cluster(metric: str) -> str:
    """A cluster-wide gauge: every node reports it (`server`), each as it sees the cluster."""
    return f"max by ({BY_TARGET}) ({metric}{{{JOB}}})"


def drive_free_percent() -> str:
    """Each drive's free space (node endpoint), per target and drive path."""
    by_drive = f"{BY_JOB}, instance, drive"
    node_job = f'job="{NODE_JOB}"'
    free, total = (
        f"max by ({by_drive}) ({m}{{{node_job}}})"
        for m in ("minio_node_drive_free_bytes", "minio_node_drive_total_bytes")
    )
    return f"100 * {free}\n/ on ({by_drive}) {total}"


def usable_free_percent() -> str:
    free, total = (
        cluster("minio_cluster_capacity_usable_free_bytes"),
        cluster("minio_cluster_capacity_usable_total_bytes"),
    )
    return f"100 * {free}\n/ on ({BY_TARGET}) {total}"


def _offline(kind: str, metric: str, meaning: str, steps: list[str], settings: Settings) -> Alert:
    """A node or a drive MinIO counts as offline, for thresholds.minio_offline_for."""
    for_ = settings.thresholds.minio_offline_for
    series = f"{metric}{{{SERIES}}}"
    return Alert(
        name=f"RatMinio{kind.capitalize()}Offline",
        expr=f"{cluster(metric)} > 0",
        for_=for_,
        severity="warning",
        service=SERVICE,
        condition=f"MinIO {kind} offline",
        check=metric,
        threshold=f"> 0 for {window(for_)}",
        summary=f"A MinIO {kind} is offline",
        description=f"MinIO counts {COUNT} {kind}(s) offline.",
        runbook=Runbook(meaning, [f"{exec_in(settings, SERVICE, 'mc admin info local')}: which one, and why.", *steps]),
        scenarios=held_scenarios({series: 1}, {series: 0}, for_, settings, TARGET, 1),
    )


def _pods_up(settings: Settings) -> str:
    """Whether MinIO's containers run: compose's service, or the cluster's pods."""
    if settings.platform == KUBERNETES:
        namespace, labels = pods_of(settings, MINIO_JOB)
        return f"Are MinIO's pods running, and on which nodes? `kubectl -n {namespace} get pods -l {labels} -o wide`."
    return "Is the node's container or host up? `docker compose ps minio`."


def _capacity_steps(settings: Settings) -> list[str]:
    if settings.platform == KUBERNETES:
        # minio-init is compose's bootstrap container: on a cluster, the bucket's rules are whatever set it up.
        return [
            "Are noncurrent versions kept? "
            f"{exec_in(settings, SERVICE, 'mc ilm rule ls local/rat')}: compose's minio-init expires them "
            "after 7 days; a bucket without that rule keeps every rewrite.",
            "Grow MinIO's volume claims (`kubectl get pvc` in its namespace), or prune old pipeline outputs.",
        ]
    return [
        "RAT keeps noncurrent versions for 7 days (minio-init's ILM rule): a burst of rewrites "
        "frees its space only then.",
        "Grow the volume holding minio_data, or prune old pipeline outputs.",
    ]


def define(settings: Settings) -> list[object]:
    if not monitored_here(SERVICE, settings):
        return []
    t = settings.thresholds
    free_series = f"minio_cluster_capacity_usable_free_bytes{{{SERIES}}}"
    total_series = f"minio_cluster_capacity_usable_total_bytes{{{SERIES}}}"
    total = 1000.0  # the scenarios' usable capacity: only the share matters
    low = t.minio_capacity_free_percent
    return [
        ScrapeJob(
            MINIO_JOB,
            [settings.targets.minio],
            CLUSTER_PATH,
            description="MinIO's nodes, drives, capacity and S3 requests (its v2 cluster metrics, bearer token)",
            sources=(MINIO,),
            credentials_file=MINIO_PROMETHEUS_TOKEN_FILE,
        ),
        # The same token: MinIO guards both endpoints with one AuthMiddleware (docs/minio.md).
        ScrapeJob(
            NODE_JOB,
            [settings.targets.minio],
            NODE_PATH,
            description="MinIO's own drives, each one's free space (its v2 node metrics, bearer token)",
            sources=(MINIO_NODE,),
            credentials_file=MINIO_PROMETHEUS_TOKEN_FILE,
            service=SERVICE,
        ),
        _offline(
            "node",
            "minio_cluster_nodes_offline_total",
            "A node of the MinIO deployment does not answer its peers: with too many offline, objects "
            "cannot be read or written (erasure-code quorum).",
            [_pods_up(settings)],
            settings,
        ),
        _offline(
            "drive",
            "minio_cluster_drive_offline_total",
            "MinIO cannot use one of its drives: redundancy is reduced, and a single-drive MinIO (RAT's "
            "compose) serves nothing (RatS3Down pages then, and mutes this).",
            [f"{logs(settings, SERVICE, ' --tail 50')}: the drive's error (permissions, a full or unmounted disk)."],
            settings,
        ),
        Alert(
            name="RatMinioCapacityLow",
            expr=f"{usable_free_percent()} < {num(low)}",
            for_=t.minio_capacity_for,
            severity="warning",
            service=SERVICE,
            condition="MinIO capacity low",
            check="minio_cluster_capacity_usable_free_bytes / minio_cluster_capacity_usable_total_bytes",
            threshold=f"< {num(low)}% free for {window(t.minio_capacity_for)}",
            summary="MinIO's usable capacity is running out",
            description=f"MinIO has {PERCENT_0} of its usable capacity free.",
            runbook=Runbook(
                "MinIO's drives are filling up: once full, pipeline writes, uploads and Iceberg commits fail.",
                [
                    f"{exec_in(settings, SERVICE, 'mc du --depth 2 local/rat')}: which prefixes grow?",
                    *_capacity_steps(settings),
                ],
            ),
            scenarios=held_scenarios(
                {free_series: total * (low - 1) / 100, total_series: total},
                {free_series: total * low / 100, total_series: total},
                t.minio_capacity_for,
                settings,
                TARGET,
                100 * (total * (low - 1) / 100) / total,
            ),
        ),
        Alert(
            name="RatMinioS3Errors",
            expr=S3_ERRORS.expr(t.minio_s3_error_percent, t.minio_s3_errors_min_rps, settings.windows.rate),
            for_=t.minio_s3_errors_for,
            severity="warning",
            service=SERVICE,
            condition="MinIO S3 errors",
            check="rate(minio_s3_requests_5xx_errors_total) / rate(minio_s3_requests_total)",
            threshold=f"> {num(t.minio_s3_error_percent)}% for {window(t.minio_s3_errors_for)}",
            summary="MinIO answers S3 requests with server errors",
            description=f"{PERCENT_0} of MinIO's S3 requests were answered 5xx over the last "
            f"{window(settings.windows.rate)}.",
            runbook=Runbook(
                "MinIO fails requests itself (5xx): ratd, ratq and the runner see failed reads and writes "
                "of pipeline code and data.",
                [
                    f"{logs(settings, SERVICE, ' --tail 100')}: the errors, and the API calls failing.",
                    "RatMinioDriveOffline or RatMinioCapacityLow firing too names the cause.",
                ],
            ),
            scenarios=S3_ERRORS.scenarios(
                f'minio_s3_requests_5xx_errors_total{{{SERIES},api="putobject"}}',
                f'minio_s3_requests_total{{{SERIES},api="putobject"}}',
                TARGET,
                t.minio_s3_error_percent,
                t.minio_s3_errors_min_rps,
                t.minio_s3_errors_for,
                settings,
            ),
        ),
    ]
