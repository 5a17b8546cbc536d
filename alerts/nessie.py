"""Nessie from its own metrics: Quarkus' Micrometer registry at /q/metrics on the management port
(Nessie 0.99's application.properties: quarkus.management.enabled, port 9000; docs/nessie.md).
The share of HTTP requests answered 5xx, and the JVM heap against its maximum.

Nessie not answering is RatNessieDown's (the probe of its API) and RatScrapeTargetDown's (service
nessie, from the job's name); both are warnings, as a Nessie outage is graded (ratd 0.2 does not
check Nessie). Every alert here is a warning of the same service.

On a cluster the job is a ServiceMonitor of Nessie's management port (kubernetes.monitors.nessie),
and only when kubernetes.in_cluster lists nessie: a managed catalog (Dremio Cloud) has no Nessie
pods to scrape."""

from __future__ import annotations

from alerts._shared import BY_JOB, ErrorRatio, held_scenarios, logs, monitored_here, num, window
from monitoring_as_code.catalog import NESSIE
from monitoring_as_code.model import COMPOSE, KUBERNETES, Alert, Runbook, ScrapeJob
from monitoring_as_code.settings import Settings

PLATFORMS = (COMPOSE, KUBERNETES)  # on a cluster, only when kubernetes.in_cluster lists nessie

NESSIE_JOB = SERVICE = "nessie"  # the job's name is the service RatScrapeTargetDown names
METRICS_PATH = "/q/metrics"
JOB = f'job="{NESSIE_JOB}"'
BY_TARGET = f"{BY_JOB}, instance"
INSTANCE = "nessie:9000"
TARGET = {"job": NESSIE_JOB, "instance": INSTANCE}
SERIES = f'{JOB},instance="{INSTANCE}"'
REQUESTS = "http_server_requests_seconds_count"
HTTP_ERRORS = ErrorRatio(f'{REQUESTS}{{{JOB},status=~"5.."}}', f"{REQUESTS}{{{JOB}}}", BY_TARGET, True)
PERCENT_0 = '{{ $value | printf "%.0f" }}%'


def heap_percent() -> str:
    """Heap used against its maximum. A pool without a maximum reports -1 (G1's eden and survivor
    spaces): only pools with one count, and G1's old generation's is the whole heap's."""
    used = f'sum by ({BY_TARGET}) (jvm_memory_used_bytes{{{JOB},area="heap"}})'
    limit = f'sum by ({BY_TARGET}) (jvm_memory_max_bytes{{{JOB},area="heap"}} > 0)'
    return f"100 * {used}\n/ on ({BY_TARGET}) {limit}"


def _heap_series(old_gen_used: float) -> dict[str, float]:
    """Nessie's heap as G1 reports it, with a non-heap pool the rule must leave out."""
    pools = {"G1 Eden Space": ("heap", 100.0, -1.0), "G1 Old Gen": ("heap", old_gen_used, 1000.0)}
    pools["Metaspace"] = ("nonheap", 5000.0, -1.0)
    out: dict[str, float] = {}
    for pool, (area, used, limit) in pools.items():
        out[f'jvm_memory_used_bytes{{{SERIES},area="{area}",id="{pool}"}}'] = used
        out[f'jvm_memory_max_bytes{{{SERIES},area="{area}",id="{pool}"}}'] = limit
    return out


def _heap_limits(settings: Settings) -> tuple[str, str]:
    """What ends a JVM that outgrows its container, and the memory it may grow into, per platform."""
    if settings.platform == KUBERNETES:
        return "an OOM kill, OOMKilled in `kubectl describe pod`", "within the container's memory limit"
    return "RatServiceOOMKilled", "within the container's 512M"


def define(settings: Settings) -> list[object]:
    if not monitored_here(SERVICE, settings):
        return []
    t = settings.thresholds
    killed, room = _heap_limits(settings)
    heap = t.nessie_heap_percent
    over = settings.windows.rate

    def request(outcome: str, status: str) -> str:
        return f'{REQUESTS}{{{SERIES},method="GET",outcome="{outcome}",status="{status}",uri="/api/v2/trees"}}'

    return [
        ScrapeJob(
            NESSIE_JOB,
            [settings.targets.nessie_metrics],
            METRICS_PATH,
            description="Nessie's HTTP requests and JVM memory (Quarkus Micrometer, management port)",
            sources=(NESSIE,),
        ),
        Alert(
            name="RatNessieHttpErrors",
            expr=HTTP_ERRORS.expr(t.nessie_http_error_percent, t.nessie_http_errors_min_rps, over),
            for_=t.nessie_http_errors_for,
            severity="warning",
            service=SERVICE,
            condition="Nessie HTTP errors",
            check='rate(http_server_requests_seconds_count{status=~"5.."}) / rate(http_server_requests_seconds_count)',
            threshold=f"> {num(t.nessie_http_error_percent)}% for {window(t.nessie_http_errors_for)}",
            summary="Nessie answers requests with server errors",
            description=f"{PERCENT_0} of Nessie's HTTP requests were answered 5xx over the last {window(over)}.",
            runbook=Runbook(
                "Nessie fails requests itself (5xx): catalog reads and commits of ratd, ratq and the runner fail.",
                [
                    f"{logs(settings, SERVICE, ' --tail 100')}: the exception behind the errors.",
                    "Nessie keeps its catalog in Postgres and its tables in MinIO: a Postgres or MinIO alert "
                    "firing too names the cause.",
                ],
            ),
            scenarios=HTTP_ERRORS.scenarios(
                request("SERVER_ERROR", "500"),
                request("SUCCESS", "200"),
                TARGET,
                t.nessie_http_error_percent,
                t.nessie_http_errors_min_rps,
                t.nessie_http_errors_for,
                settings,
            ),
        ),
        Alert(
            name="RatNessieHeapHigh",
            expr=f"{heap_percent()} > {num(heap)}",
            for_=t.nessie_heap_for,
            severity="warning",
            service=SERVICE,
            condition="Nessie heap high",
            check='jvm_memory_used_bytes{area="heap"} / jvm_memory_max_bytes{area="heap"}',
            threshold=f"> {num(heap)}% for {window(t.nessie_heap_for)}",
            summary="Nessie's JVM heap is nearly full",
            description=f"Nessie uses {PERCENT_0} of its maximum heap.",
            runbook=Runbook(
                "Nessie's heap stays nearly full: the JVM spends its time collecting garbage, requests slow "
                f"down, and an OutOfMemoryError or the container's memory limit ends it ({killed}).",
                [
                    "Nessie's object cache takes 70% of the heap by default "
                    "(nessie.version.store.persist.cache-capacity-fraction-of-heap): a full heap is its cache "
                    f"plus requests; lower the fraction, or give the JVM more (JAVA_OPTS_APPEND, {room}).",
                    logs(settings, SERVICE, then="| grep -i OutOfMemory"),
                ],
            ),
            scenarios=held_scenarios(
                _heap_series(heap * 10 - 100 + 50),
                _heap_series(heap * 10 - 100),
                t.nessie_heap_for,
                settings,
                TARGET,
                100 * (heap * 10 + 50) / 1000,
            ),
        ),
    ]
