"""Recording rules for the expressions alerts and dashboards share: request rate, error ratio,
p99 latency (overall and by path), scheduler trigger rates and container usage per service.
Names follow level:metric:operations; the windows come from settings."""

from __future__ import annotations

from alerts._shared import CADVISOR_JOB, COMPOSE_SERVICE_LABEL, RAT_SERVICES, RATD_JOB, window
from monitoring_as_code.model import RecordingRule
from monitoring_as_code.settings import Settings

RATD = f'job="{RATD_JOB}"'


def request_rate(settings: Settings, *, baseline: bool = False) -> str:
    w = settings.windows.request_baseline if baseline else settings.windows.rate
    return f"job:ratd_http_requests:rate{window(w)}"


def request_rate_by_path_status(settings: Settings) -> str:
    return f"job_path_status:ratd_http_requests:rate{window(settings.windows.rate)}"


def error_ratio(settings: Settings) -> str:
    return f"job:ratd_http_requests_5xx:ratio_rate{window(settings.windows.rate)}"


def latency_p99(settings: Settings, *, by_path: bool = False) -> str:
    level = "job_path" if by_path else "job"
    return f"{level}:ratd_http_request_duration_seconds:p99_rate{window(settings.windows.rate)}"


def trigger_rate(settings: Settings, *, baseline: bool = False) -> str:
    w = settings.windows.scheduler_baseline if baseline else settings.windows.scheduler_rate
    return f"job:ratd_scheduler_runs_triggered:rate{window(w)}"


CONTAINER_MEMORY = "service:container_memory_working_set_bytes:sum"
CONTAINER_MEMORY_LIMIT = "service:container_spec_memory_limit_bytes:sum"


def container_cpu(settings: Settings) -> str:
    return f"service:container_cpu_usage_seconds:rate{window(settings.windows.rate)}"


def per_service(expr: str) -> str:
    """Sum a cAdvisor series per RAT compose service, as label `service`."""
    return f'sum by (service) (label_replace({expr}, "service", "$1", "{COMPOSE_SERVICE_LABEL}", "(.+)"))'


def define(settings: Settings) -> list[RecordingRule]:
    rate, baseline = window(settings.windows.rate), window(settings.windows.request_baseline)
    cadvisor = f'{{job="{CADVISOR_JOB}",{COMPOSE_SERVICE_LABEL}=~"{"|".join(RAT_SERVICES)}"}}'
    return [
        RecordingRule(request_rate(settings), f"sum by (job) (rate(ratd_http_requests_total{{{RATD}}}[{rate}]))"),
        RecordingRule(
            request_rate(settings, baseline=True),
            f"sum by (job) (rate(ratd_http_requests_total{{{RATD}}}[{baseline}]))",
        ),
        RecordingRule(
            request_rate_by_path_status(settings),
            f"sum by (job, path, status) (rate(ratd_http_requests_total{{{RATD}}}[{rate}]))",
        ),
        RecordingRule(
            error_ratio(settings),
            f'sum by (job) (rate(ratd_http_requests_total{{{RATD},status=~"5.."}}[{rate}]))\n'
            f"/\nsum by (job) (rate(ratd_http_requests_total{{{RATD}}}[{rate}]))",
        ),
        RecordingRule(
            latency_p99(settings),
            "histogram_quantile(0.99, sum by (job, le) "
            f"(rate(ratd_http_request_duration_seconds_bucket{{{RATD}}}[{rate}])))",
        ),
        RecordingRule(
            latency_p99(settings, by_path=True),
            "histogram_quantile(0.99, sum by (job, path, le) "
            f"(rate(ratd_http_request_duration_seconds_bucket{{{RATD}}}[{rate}])))",
        ),
        RecordingRule(
            trigger_rate(settings),
            "sum by (job) (rate(ratd_scheduler_runs_triggered_total"
            f"{{{RATD}}}[{window(settings.windows.scheduler_rate)}]))",
        ),
        RecordingRule(
            trigger_rate(settings, baseline=True),
            "sum by (job) (rate(ratd_scheduler_runs_triggered_total"
            f"{{{RATD}}}[{window(settings.windows.scheduler_baseline)}]))",
        ),
        RecordingRule(CONTAINER_MEMORY, per_service(f"container_memory_working_set_bytes{cadvisor}")),
        RecordingRule(CONTAINER_MEMORY_LIMIT, per_service(f"container_spec_memory_limit_bytes{cadvisor}")),
        RecordingRule(
            container_cpu(settings), per_service(f"rate(container_cpu_usage_seconds_total{cadvisor}[{rate}])")
        ),
    ]
