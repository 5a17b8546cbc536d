"""Crashes of every container on the compose host, RAT's seven and the monitoring stack's own,
from cAdvisor: an OOM kill (container_oom_events_total), and a restart loop (the container's start
time changing again and again: container_start_time_seconds). "Memory > 85% for 5m" misses a
sudden kill, as ratq's DuckDB (2 GB by default) in a 1 GB container dies without warning.

Severity follows what the service is for: those in compose.crash_pages (ratd, postgres, minio as
shipped) page; every other container files a ticket. The per-service selector names the compose
services, so a bootstrap container that exits once (minio-init, nessie-init) is no crash."""

from __future__ import annotations

from alerts._shared import CADVISOR_JOB, COMPOSE_SERVICE_LABEL, RAT_SERVICES, num, pace, window
from monitoring_as_code.model import COMPOSE, Alert, Firing, Runbook, Scenario
from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.settings import Settings
from monitoring_as_code.stack import STACK_SERVICES

# kube-prometheus brings its own (KubePodCrashLooping, and OOM kills from kube-state-metrics).
PLATFORMS = (COMPOSE,)
EVERY_SERVICE = (*RAT_SERVICES, *STACK_SERVICES)
SERVICE_LABEL = f'"service", "$1", "{COMPOSE_SERVICE_LABEL}", "(.+)"'


def per_service(expr: str) -> str:
    return f"sum by (service) (label_replace({expr}, {SERVICE_LABEL}))"


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    pages = settings.of(COMPOSE_SETTINGS).crash_pages
    tickets = tuple(s for s in EVERY_SERVICE if s not in pages)
    alerts = []
    for severity, services, oom_name, loop_name in (
        ("critical", pages, "RatServiceOOMKilled", "RatServiceRestartLoop"),
        ("warning", tickets, "RatContainerOOMKilled", "RatContainerRestartLoop"),
    ):
        if not services:
            continue
        selector = f'job="{CADVISOR_JOB}",{COMPOSE_SERVICE_LABEL}=~"{"|".join(services)}"'
        example = services[0]
        oom_kills = per_service(f"increase(container_oom_events_total{{{selector}}}[{window(t.container_oom_window)}])")
        restarts = per_service(
            f"changes(container_start_time_seconds{{{selector}}}[{window(t.container_restarts_window)}])"
        )
        alerts += [
            Alert(
                name=oom_name,
                expr=f"{oom_kills} > 0",
                severity=severity,
                service=None,
                condition="Container OOM killed",
                check="increase(container_oom_events_total)",
                threshold=f"any, within {window(t.container_oom_window)}",
                summary="A container was killed for running out of memory",
                description="The kernel killed a process of {{ $labels.service }} at its memory limit "
                + '({{ $value | printf "%.0f" }} OOM kill(s) in the last '
                + f"{window(t.container_oom_window)}).",
                runbook=Runbook(
                    "A process of the container hit the container's memory limit and the kernel killed it; "
                    "Docker restarts the container, and whatever it was doing failed.",
                    [
                        "`docker inspect <container> | jq '.[0].State'`: OOMKilled, exit code 137, restarts.",
                        "ratq and the runner: DuckDB's memory limit (DUCKDB_MEMORY_LIMIT, 2 GB by default in "
                        "ratq) must stay below the container's; lower it, or raise both together.",
                        "Otherwise raise the service's memory limit in RAT's compose file.",
                    ],
                ),
                scenarios=_oom_scenarios(example, settings),
            ),
            Alert(
                name=loop_name,
                expr=f"{restarts} >= {num(t.container_restarts)}",
                severity=severity,
                service=None,
                condition="Restart loop",
                check="changes(container_start_time_seconds)",
                threshold=f">= {num(t.container_restarts)} restarts in {window(t.container_restarts_window)}",
                summary="A container keeps restarting",
                description='{{ $labels.service }} restarted {{ $value | printf "%.0f" }} times in the last '
                f"{window(t.container_restarts_window)}.",
                runbook=Runbook(
                    "The container exits and Docker's restart policy starts it again, over and over: it "
                    "never stays up long enough to serve.",
                    [
                        "`docker compose ps -a <service>` and `docker compose logs --tail 100 <service>`: "
                        "why it exits.",
                        "Exit code 137 with OOMKilled: see the OOM alert; 1: its own error, in the log.",
                        "A dependency it waits for (Postgres, MinIO) down: that dependency's alert is the cause.",
                    ],
                ),
                scenarios=_restart_scenarios(example, settings),
            ),
        ]
    return alerts


def _series(metric: str, service: str) -> str:
    return (
        f'{metric}{{job="{CADVISOR_JOB}",{COMPOSE_SERVICE_LABEL}="{service}",'
        f'id="/system.slice/docker-0123abcd.scope",name="infra-{service}-1",image="{service}:test"}}'
    )


def _oom_scenarios(service: str, settings: Settings) -> list[Scenario]:
    """cAdvisor's real series names and labels: one kill fires; a steady counter does not."""
    span = settings.thresholds.container_oom_window
    step = pace(span, settings)
    samples = int(span // step)
    series = _series("container_oom_events_total", service)
    timing = {"at": samples * step, "interval": step, "evaluation_interval": step}
    half = samples // 2
    return [
        Scenario(
            "fires on one OOM kill",
            {series: f"0x{half} 1x{samples - half}"},
            fires=[Firing({"service": service}, 1)],
            **timing,
        ),
        Scenario("silent while no kill happens", {series: f"2x{samples}"}, **timing),
    ]


def _restart_scenarios(service: str, settings: Settings) -> list[Scenario]:
    """The start time changes at each restart: N restarts in the window fire, N-1 do not."""
    t = settings.thresholds
    span = t.container_restarts_window
    step = pace(span, settings)
    samples = int(span // step)
    restarts = int(t.container_restarts)
    series = _series("container_start_time_seconds", service)
    timing = {"at": samples * step, "interval": step, "evaluation_interval": step}

    def restarted(times: int) -> dict[str, str]:
        each = samples // (times + 1)
        values = [f"{1_000_000 + k * 60}x{each - 1}" for k in range(times)]
        values.append(f"{1_000_000 + times * 60}x{samples - times * each}")
        return {series: " ".join(values)}

    return [
        Scenario(
            f"fires on {restarts} restarts",
            restarted(restarts),
            fires=[Firing({"service": service}, restarts)],
            **timing,
        ),
        Scenario(f"silent on {restarts - 1} restarts", restarted(restarts - 1), **timing),
    ]
