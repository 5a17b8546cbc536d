"""Recording rules every profile shares: container usage per RAT service. ratd's own rules live
beside the alerts that read them (requests.py, pipelines.py, runtime.py). Names follow
level:metric:operations; the windows come from settings. On a compose host they sum our
cAdvisor's series by the compose service; on a cluster, kubelet's cAdvisor and kube-state-metrics
by container (each RAT container is named after its service) and namespace."""

from __future__ import annotations

from alerts._shared import (
    CADVISOR_JOB,
    COMPOSE_SERVICE_LABEL,
    KUBE_STATE_METRICS,
    KUBELET_CADVISOR,
    RAT_SERVICES,
    window,
)
from monitoring_as_code.model import KUBERNETES, RecordingRule
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.settings import Settings

CONTAINER_MEMORY = "service:container_memory_working_set_bytes:sum"
CONTAINER_MEMORY_LIMIT = "service:container_spec_memory_limit_bytes:sum"


def container_cpu(settings: Settings) -> str:
    return f"service:container_cpu_usage_seconds:rate{window(settings.windows.rate)}"


def per_service(expr: str, by: str, source_label: str) -> str:
    """Sum a container series per RAT service, as label `service`."""
    return f'sum by ({by}) (label_replace({expr}, "service", "$1", "{source_label}", "(.+)"))'


def define(settings: Settings) -> list[RecordingRule]:
    rate = window(settings.windows.rate)
    if settings.platform == KUBERNETES:
        namespace = f'namespace="{settings.of(KUBERNETES_SETTINGS).rat_namespace}"'
        kubelet = f'{{{KUBELET_CADVISOR},{namespace},container!=""}}'
        limits = f'{{{KUBE_STATE_METRICS},{namespace},resource="memory"}}'
        memory = f"container_memory_working_set_bytes{kubelet}"
        limit = f"kube_pod_container_resource_limits{limits}"
        cpu = f"rate(container_cpu_usage_seconds_total{kubelet}[{rate}])"
        by, source = "namespace, service", "container"
    else:
        cadvisor = f'{{job="{CADVISOR_JOB}",{COMPOSE_SERVICE_LABEL}=~"{"|".join(RAT_SERVICES)}"}}'
        memory = f"container_memory_working_set_bytes{cadvisor}"
        limit = f"container_spec_memory_limit_bytes{cadvisor}"
        cpu = f"rate(container_cpu_usage_seconds_total{cadvisor}[{rate}])"
        by, source = "service", COMPOSE_SERVICE_LABEL
    return [
        RecordingRule(CONTAINER_MEMORY, per_service(memory, by, source)),
        RecordingRule(CONTAINER_MEMORY_LIMIT, per_service(limit, by, source)),
        RecordingRule(container_cpu(settings), per_service(cpu, by, source)),
    ]
