"""ratd on a cluster (kubernetes output): several replicas behind one Service. The API is down
only when every replica is (or when the ServiceMonitor finds none); one replica down is a
warning. The Service with no ready pod pages even while every replica answers its scrape (its
readiness probe fails on each). Memory pressure is per pod, against that container's own limit.

Every expression filters RAT's namespace: a cluster Prometheus scrapes every namespace.
"""

from __future__ import annotations

import math

from alerts._shared import (
    DEPENDS_ON_RATD,
    KUBE_STATE_METRICS,
    KUBELET_CADVISOR,
    NO_READY_ENDPOINT,
    RATD_JOB,
    VALUE,
    not_above,
    num,
    pace,
    window,
)
from monitoring_as_code.model import KUBERNETES, Alert, Firing, Runbook, Scenario
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.settings import Settings

PLATFORMS = (KUBERNETES,)


def rat_namespace(settings: Settings) -> str:
    return f'namespace="{settings.of(KUBERNETES_SETTINGS).rat_namespace}"'


def kubectl(settings: Settings, command: str) -> str:
    return f"`kubectl -n {settings.of(KUBERNETES_SETTINGS).rat_namespace} {command}`"


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    step = settings.intervals.scrape
    namespace = settings.of(KUBERNETES_SETTINGS).rat_namespace
    ratd = f'job="{RATD_JOB}",{rat_namespace(settings)}'
    up = f"up{{{ratd}}}"
    labels = {"job": RATD_JOB, "namespace": namespace}
    down_for = t.target_down_for
    steps_down = round(down_for / step)
    pod_a, pod_b = (f'up{{{ratd},pod="ratd-{p}"}}' for p in ("a", "b"))
    working_set = "container_memory_working_set_bytes"
    limit = "kube_pod_container_resource_limits"
    per_container = "namespace, pod, container"
    memory_a = f'{working_set}{{{KUBELET_CADVISOR},{rat_namespace(settings)},pod="ratd-a",container="ratd"}}'
    limit_a = (
        f'{limit}{{{KUBE_STATE_METRICS},{rat_namespace(settings)},pod="ratd-a",container="ratd",resource="memory"}}'
    )
    pressure = t.container_memory_percent
    memory_span = t.container_memory_for + 2 * step
    memory_step = pace(memory_span, settings)
    memory_samples = math.ceil(memory_span / memory_step) + 1
    memory_timing = {"at": memory_samples * memory_step, "interval": memory_step, "evaluation_interval": memory_step}

    def percent(working_set: float) -> float:  # of a 100-byte limit, as the rule computes it
        return 100 * working_set / 100

    return [
        Alert(
            name="RatApiDown",
            expr=f"sum by (namespace, job) ({up}) == 0\nor\nabsent({up})",
            for_=down_for,
            severity="critical",
            service="ratd",
            condition="API down",
            check=f"up of every ratd replica in {namespace} (ServiceMonitor)",
            threshold=f"all replicas down, or none found, for {window(down_for)}",
            summary="RAT API (ratd) is down: no replica answers",
            description=(
                "No ratd replica in namespace {{ $labels.namespace }} answers its metrics scrape "
                f"(replicas up = {VALUE}; 1 means none was found at all)."
            ),
            runbook=Runbook(
                "Every ratd replica fails its scrape, or the ServiceMonitor selects no pod at all "
                "(the Service's labels or port name changed): everything RAT serves is unavailable.",
                [
                    kubectl(settings, "get pods -l app=ratd -o wide") + ": running, ready, restarting?",
                    kubectl(settings, "logs -l app=ratd --tail 100 --prefix") + " for a crash or a failed start.",
                    kubectl(settings, "get endpoints ratd") + ": empty means no ready replica.",
                    "Prometheus' Targets page: is the ratd ServiceMonitor there, with targets?",
                ],
            ),
            scenarios=[
                Scenario(
                    "fires when every replica is down",
                    {pod_a: "1 1" + " 0" * (steps_down + 2), pod_b: "1 1" + " 0" * (steps_down + 2)},
                    at=(2 + steps_down) * step,
                    fires=[Firing(labels, 0)],
                ),
                Scenario(
                    "fires when the ServiceMonitor finds no replica",
                    {f'up{{job="other",{rat_namespace(settings)}}}': f"1x{steps_down + 2}"},
                    at=(1 + steps_down) * step,
                    fires=[Firing(labels, 1)],
                ),
                Scenario(
                    "silent while one replica of two is down",
                    {pod_a: "1 1" + " 0" * (steps_down + 2), pod_b: f"1x{steps_down + 3}"},
                    at=(2 + steps_down) * step,
                ),
                Scenario(
                    "silent when every replica is down for less than the for",
                    {pod_a: "1 1" + " 0" * steps_down + " 1", pod_b: "1 1" + " 0" * steps_down + " 1"},
                    at=tuple(k * step for k in range(2, steps_down + 3)),
                ),
            ],
        ),
        Alert(
            name="RatApiReplicaDown",
            expr=f"{up} == 0",
            for_=down_for,
            severity="warning",
            service="ratd",
            labels=DEPENDS_ON_RATD,
            condition="ratd replica down",
            check="up of one ratd replica",
            threshold=f"down for {window(down_for)}",
            summary="A ratd replica is down",
            description="ratd pod {{ $labels.pod }} in {{ $labels.namespace }} fails its scrape (up = "
            + VALUE
            + "); the other replicas still serve.",
            runbook=Runbook(
                "One ratd replica does not answer: capacity is reduced, and if it held the scheduler "
                "lock another replica takes over. While every replica is down, RatApiDown speaks instead.",
                [
                    kubectl(settings, "describe pod <pod>")
                    + ", `<pod>` being the one the alert's `pod` label names: events, restarts, OOMKilled?",
                    kubectl(settings, "logs <pod> --previous --tail 100") + " for the last crash.",
                ],
            ),
            scenarios=[
                Scenario(
                    "fires when one replica stays down",
                    {pod_a: "1 1" + " 0" * (steps_down + 2), pod_b: f"1x{steps_down + 3}"},
                    at=(2 + steps_down) * step,
                    fires=[Firing({**labels, "pod": "ratd-a"}, 0)],
                ),
                Scenario(
                    "silent while a replica restarts within the for",
                    {pod_a: "1 1" + " 0" * steps_down + " 1", pod_b: f"1x{steps_down + 3}"},
                    at=tuple(k * step for k in range(2, steps_down + 3)),
                ),
            ],
        ),
        no_ready_endpoint(settings),
        Alert(
            name="RatContainerMemoryPressure",
            # The container's name is RAT's service (rat-kubernetes.md names each container after it).
            expr=(
                f"label_replace(\n  100 * max by ({per_container}) ({working_set}{{{KUBELET_CADVISOR},"
                f'{rat_namespace(settings)},container!=""}})\n'
                f"  / on ({per_container})\n"
                f"  (max by ({per_container}) ({limit}{{{KUBE_STATE_METRICS},{rat_namespace(settings)},"
                f'resource="memory"}}) > 0)\n'
                f"  > {num(pressure)},\n"
                '  "service", "$1", "container", "(.+)"\n)'
            ),
            for_=t.container_memory_for,
            severity="warning",
            service=None,
            condition="Container memory pressure",
            check="working set / the container's own memory limit (kubelet cAdvisor, kube-state-metrics)",
            threshold=f"> {num(pressure)}% for {window(t.container_memory_for)}",
            summary="A RAT container is close to its memory limit",
            description=(
                "Container {{ $labels.container }} of pod {{ $labels.pod }} uses "
                '{{ $value | printf "%.1f" }}% of its memory limit: the kernel OOM-kills it at 100%.'
            ),
            runbook=Runbook(
                "A container of RAT's namespace works close to its own memory limit; at the limit it is "
                "OOM-killed and restarts. Containers without a limit are never compared.",
                [
                    kubectl(settings, "top pod <pod> --containers")
                    + ", `<pod>` being the one the alert's `pod` label names: which container, how fast?",
                    kubectl(settings, "describe pod <pod>") + ": Last State OOMKilled?",
                    "Raise the limit in RAT's Deployment, or find what grows (runner: DuckDB queries).",
                ],
            ),
            scenarios=[
                Scenario(
                    "fires above the threshold of its own limit",
                    {memory_a: f"{num(min(100.0, pressure + 5))}x{memory_samples}", limit_a: f"100x{memory_samples}"},
                    fires=[
                        Firing(
                            {"namespace": namespace, "pod": "ratd-a", "container": "ratd", "service": "ratd"},
                            percent(min(100.0, pressure + 5)),
                        ),
                    ],
                    **memory_timing,
                ),
                Scenario(
                    "silent at the threshold",
                    {
                        memory_a: f"{num(not_above(pressure, pressure, percent, -math.inf))}x{memory_samples}",
                        limit_a: f"100x{memory_samples}",
                    },
                    **memory_timing,
                ),
                Scenario(
                    "silent without a limit",
                    {memory_a: f"1000x{memory_samples}", limit_a: f"0x{memory_samples}"},
                    **memory_timing,
                ),
            ],
        ),
    ]


def no_ready_endpoint(settings: Settings) -> Alert:
    """ratd's Service lists no ready address: every request users send fails, whatever `up` says
    (RAT's readinessProbe is /health/ready, which fails on every pod while a dependency is down).
    Read from kube-state-metrics' Endpoints series, which exist while the Service does."""
    down_for = settings.thresholds.target_down_for
    step = settings.intervals.scrape
    steps_down = round(down_for / step)
    k8s = settings.of(KUBERNETES_SETTINGS)
    endpoints = f'{KUBE_STATE_METRICS},{rat_namespace(settings)},endpoint="{k8s.ratd_service}"'
    labels = {"namespace": k8s.rat_namespace, "endpoint": k8s.ratd_service}

    def address(ip: str, ready: bool) -> str:
        return f'kube_endpoint_address{{{endpoints},ip="{ip}",ready="{str(ready).lower()}"}}'

    info = f"kube_endpoint_info{{{endpoints}}}"
    up = {f'up{{job="{RATD_JOB}",{rat_namespace(settings)},pod="ratd-{p}"}}': f"1x{steps_down + 3}" for p in "ab"}
    samples = steps_down + 3
    a, b = "10.0.0.1", "10.0.0.2"
    # In turn: a's address ready while b's is not, then the other way round, never neither.
    turns = [k % 2 == 0 for k in range(samples + 1)]

    def present(flags: list[bool]) -> str:
        return " ".join("1" if f else ("stale" if k else "_") for k, f in enumerate(flags))

    return Alert(
        name=NO_READY_ENDPOINT,
        # The ready addresses counted, 0 while the Service exists with none.
        expr=(
            f'(\n  sum by (namespace, endpoint) (kube_endpoint_address{{{endpoints},ready="true"}})\n'
            f"  or 0 * max by (namespace, endpoint) ({info})\n) == 0"
        ),
        for_=down_for,
        severity="critical",
        service="ratd",
        condition="ratd's Service has no ready pod",
        check=f'kube_endpoint_address{{endpoint="{k8s.ratd_service}",ready="true"}} absent (kube-state-metrics)',
        threshold=f"for {window(down_for)}",
        summary="ratd's Service has no ready pod: users are served by none",
        description=(
            "The Endpoints of Service {{ $labels.endpoint }} in {{ $labels.namespace }} list no ready address "
            f"for {window(down_for)} (ready addresses = {VALUE}): every request through the Service fails, even "
            "while the pods answer their metrics scrape."
        ),
        runbook=Runbook(
            "No ratd pod passes its readinessProbe (/health/ready), so the Service sends requests nowhere. "
            "A dependency every pod reports down is the usual cause: its page mutes this one.",
            [
                kubectl(settings, f"get endpoints {k8s.ratd_service} -o wide") + ": ready and not-ready addresses.",
                kubectl(settings, "describe pods -l app=ratd") + ": which readiness probe fails, and why.",
                f"{kubectl(settings, 'get pods -l app=ratd')}; then each pod's `/health/ready` "
                "(the dependency alerts name the failing check).",
            ],
        ),
        scenarios=[
            Scenario(
                "fires when no address is ready, though every pod answers its scrape",
                {info: f"1x{samples}", address(a, False): f"1x{samples}", address(b, False): f"1x{samples}", **up},
                at=(1 + steps_down) * step,
                fires=[Firing(labels, 0)],
            ),
            Scenario(
                "silent while one address of two is ready",
                {info: f"1x{samples}", address(a, True): f"1x{samples}", address(b, False): f"1x{samples}", **up},
                at=tuple(k * step for k in range(samples)),
            ),
            Scenario(
                "silent while the pods turn ready in turn (one recovering as the other fails)",
                {
                    info: f"1x{samples}",
                    address(a, True): present(turns),
                    address(a, False): present([not t for t in turns]),
                    address(b, True): present([not t for t in turns]),
                    address(b, False): present(turns),
                    **up,
                },
                at=tuple(k * step for k in range(samples)),
            ),
            Scenario(
                "silent when no address is ready for less than the for",
                {
                    info: f"1x{samples}",
                    address(a, True): "1 stale" + " _" * (steps_down - 1) + " 1 1",
                    address(a, False): "_ 1" + " 1" * (steps_down - 1) + " stale stale",
                },
                at=tuple(k * step for k in range(steps_down + 3)),
            ),
        ],
    )
