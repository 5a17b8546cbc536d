"""The `guide` profile: RAT as its monitoring guide was first written (rat-monitoring.md).

ratd serves request, pipeline, scheduler and gRPC metrics, and `/health` lists each subsystem.
"""

from __future__ import annotations

from monitoring_as_code.catalog import COUNTER, GAUGE, HISTOGRAM, RATD, metrics
from monitoring_as_code.profile import Profile
from monitoring_as_code.settings import Settings

GUIDE = "guide"
# The guide does not list the request histogram's buckets. ratd is Go, so these are assumed to be
# client_golang's defaults (prometheus.DefBuckets); the simulated ratd of the e2e tests uses them.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

RATD_METRICS = metrics(
    RATD,
    ("ratd_http_requests_total", COUNTER, ("method", "path", "status"), "Total HTTP requests by method, path, status"),
    (
        "ratd_http_request_duration_seconds",
        HISTOGRAM,
        ("method", "path"),
        "Request latency distribution",
        REQUEST_BUCKETS,
    ),
    ("ratd_pipeline_runs_total", COUNTER, ("status",), "Total pipeline runs by final status"),
    ("ratd_active_runs", GAUGE, (), "Currently executing pipelines"),
    ("ratd_scheduler_ticks_total", COUNTER, (), "Scheduler evaluation cycles"),
    ("ratd_scheduler_runs_triggered_total", COUNTER, (), "Runs triggered by the scheduler"),
    # The guide names these two without labels; the target service and method are assumed.
    ("ratd_grpc_requests_total", COUNTER, ("service", "method", "code"), "gRPC requests to runner/ratq"),
    ("ratd_grpc_request_duration_seconds", HISTOGRAM, ("service", "method"), "gRPC call latency"),
)


def define(settings: Settings) -> list[Profile]:
    return [
        Profile(
            name=GUIDE,
            reference="rat-monitoring.md (RAT's monitoring guide as first written)",
            description="HTTP, pipeline and scheduler metrics; /health lists each subsystem.",
            metrics=RATD_METRICS,
        )
    ]
