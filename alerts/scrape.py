"""What Prometheus collects: ratd's metrics, ratd's liveness and readiness through
blackbox_exporter, container metrics (cAdvisor), host metrics (node-exporter), and the monitoring
stack itself. Each profile adds its own dependency probes (subsystems.py, ready_checks.py)."""

from __future__ import annotations

from alerts._shared import (
    ALERTMANAGER_JOB,
    CADVISOR_JOB,
    NODE_JOB,
    PROBE_JOB,
    PROMETHEUS_JOB,
    RATD_JOB,
    RATD_METRICS_PATH,
    SERVICE_CHECK,
)
from monitoring_as_code.catalog import BACKUP_SOURCE, RATD
from monitoring_as_code.model import KUBERNETES, BlackboxModule, Probe, ScrapeJob
from monitoring_as_code.settings import Settings

HTTP_2XX = "http_2xx"
# Docker networks are IPv4; skip the exporter's IPv6-first attempt.
IPV4 = {"preferred_ip_protocol": "ip4"}


def define(settings: Settings) -> list[object]:
    t, health = settings.targets, settings.health
    ratd_url = f"http://{t.ratd}"
    ratd = ScrapeJob(
        RATD_JOB, [t.ratd], RATD_METRICS_PATH, "ratd's Prometheus metrics, as the guide configures them", (RATD,)
    )
    probes = [
        BlackboxModule(HTTP_2XX, "http", health.timeout, IPV4),
        Probe("live", HTTP_2XX, ratd_url + health.live_path, PROBE_JOB, each_pod=True),
        Probe("ready", HTTP_2XX, ratd_url + health.ready_path, PROBE_JOB, each_pod=True),
    ]
    if settings.platform == KUBERNETES:
        # On a cluster the stack scrapes kubelet, the nodes and itself; ratd is a ServiceMonitor's
        # job, and each ratd pod is probed on its own. The Service users reach (settings.targets.ratd
        # there) is probed too, at the liveness path ratd does not log: it answers only while the
        # Service has a ready pod to send the request to.
        return [ratd, *probes, Probe(SERVICE_CHECK, HTTP_2XX, ratd_url + health.live_path, PROBE_JOB)]
    return [
        ratd,
        # cAdvisor stamps its samples itself, and Prometheus keeps an explicitly stamped series for
        # 5 minutes after its container is gone. `track_timestamps_staleness: true` (Prometheus 2.48+)
        # fixes that, but promtool 2.42, which checks this file, refuses the key: scrape-time
        # stamps mean the same in both versions, and cAdvisor's stamps are at most one
        # housekeeping interval (1s-15s) earlier.
        ScrapeJob(
            CADVISOR_JOB,
            [t.cadvisor],
            description="container CPU and memory",
            sources=("cadvisor",),
            honor_timestamps=False,
        ),
        ScrapeJob(
            NODE_JOB,
            [t.node_exporter],
            description="host disk, and the backup textfile metric",
            sources=("node_exporter", BACKUP_SOURCE),
        ),
        ScrapeJob(PROMETHEUS_JOB, [t.prometheus], description="Prometheus itself", sources=("prometheus",)),
        ScrapeJob(ALERTMANAGER_JOB, [t.alertmanager], description="Alertmanager", sources=("alertmanager",)),
        *probes,
    ]
