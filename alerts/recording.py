"""Recording rules every profile shares: container usage per RAT service (cAdvisor). ratd's own
rules live beside the alerts that read them (requests.py, pipelines.py, runtime.py). Names
follow level:metric:operations; the windows come from settings."""

from __future__ import annotations

from alerts._shared import CADVISOR_JOB, COMPOSE_SERVICE_LABEL, RAT_SERVICES, window
from monitoring_as_code.model import COMPOSE, RecordingRule
from monitoring_as_code.settings import Settings

# cAdvisor's Docker labels exist only on a compose host.
PLATFORMS = (COMPOSE,)

CONTAINER_MEMORY = "service:container_memory_working_set_bytes:sum"
CONTAINER_MEMORY_LIMIT = "service:container_spec_memory_limit_bytes:sum"


def container_cpu(settings: Settings) -> str:
    return f"service:container_cpu_usage_seconds:rate{window(settings.windows.rate)}"


def per_service(expr: str) -> str:
    """Sum a cAdvisor series per RAT compose service, as label `service`."""
    return f'sum by (service) (label_replace({expr}, "service", "$1", "{COMPOSE_SERVICE_LABEL}", "(.+)"))'


def define(settings: Settings) -> list[RecordingRule]:
    rate = window(settings.windows.rate)
    cadvisor = f'{{job="{CADVISOR_JOB}",{COMPOSE_SERVICE_LABEL}=~"{"|".join(RAT_SERVICES)}"}}'
    return [
        RecordingRule(CONTAINER_MEMORY, per_service(f"container_memory_working_set_bytes{cadvisor}")),
        RecordingRule(CONTAINER_MEMORY_LIMIT, per_service(f"container_spec_memory_limit_bytes{cadvisor}")),
        RecordingRule(
            container_cpu(settings), per_service(f"rate(container_cpu_usage_seconds_total{cadvisor}[{rate}])")
        ),
    ]
