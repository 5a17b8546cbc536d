"""The subsystems ratd's /health reports: one alert each, after N consecutive failed probes."""

from __future__ import annotations

import attrs

from alerts._shared import DEPENDS_ON_RATD, PROBE_JOB, VALUE, consecutive_failures_for, failures_text
from monitoring_as_code.model import Alert, Firing, Runbook, Scenario
from monitoring_as_code.settings import Settings


@attrs.frozen
class Subsystem:
    name: str  # as /health names it, and as the compose service is called
    alert: str
    severity: str
    condition: str
    meaning: str


# The guide's tables: postgres, minio and runner page; ratq warns. Nessie is not in the guide's
# tables, but /health reports it and the catalog is needed for every query: it warns.
SUBSYSTEMS = (
    Subsystem("postgres", "RatPostgresDown", "critical", "Postgres down",
              "ratd cannot run `SELECT 1` on Postgres: no run, schedule or metadata can be read or written."),
    Subsystem("minio", "RatMinioDown", "critical", "MinIO down",
              "ratd cannot list its MinIO bucket: no data can be read or written."),
    Subsystem("runner", "RatRunnerDown", "critical", "Runner down",
              "ratd cannot open a ready gRPC channel to the runner: pipelines cannot execute."),
    Subsystem("ratq", "RatRatqUnhealthy", "warning", "ratq unhealthy",
              "ratd cannot open a ready gRPC channel to ratq: interactive queries fail."),
    Subsystem("nessie", "RatNessieDown", "warning", "Nessie down",
              "ratd cannot reach Nessie's config endpoint: catalog reads and commits fail."),
)  # fmt: skip


def scenarios(subsystem: str, failures: int, settings: Settings) -> list[Scenario]:
    """N failures in a row fire; N-1 do not; isolated failures between successes never do."""
    instance = f"http://{settings.targets.ratd}{settings.health.path}"
    labels = {"job": PROBE_JOB, "check": subsystem, "instance": instance}
    series = f'probe_success{{job="{PROBE_JOB}",check="{subsystem}",instance="{instance}"}}'
    step = settings.intervals.scrape
    out = [
        Scenario(
            f"fires on the {failures}. consecutive failure",
            {series: "1 1" + " 0" * failures},
            at=(1 + failures) * step,
            fires=[Firing(labels, 0)],
        ),
        Scenario("silent while every probe succeeds", {series: "1x10"}, at=tuple(k * step for k in range(11))),
    ]
    if failures > 1:
        out += [
            Scenario(
                f"silent after {failures - 1} consecutive failures",
                {series: "1 1" + " 0" * (failures - 1) + " 1 1"},
                at=tuple(k * step for k in range(2, failures + 3)),
            ),
            Scenario(
                "silent on isolated failures between successes",
                {series: "1 0 " * (2 * failures) + "1"},
                at=tuple(k * step for k in range(1, 4 * failures + 1)),
            ),
        ]
    return out


def define(settings: Settings) -> list[Alert]:
    alerts = []
    for s in SUBSYSTEMS:
        if s.name not in settings.health.subsystems:
            continue
        failures = settings.thresholds.consecutive_failures[s.name]
        alerts.append(
            Alert(
                name=s.alert,
                expr=f'probe_success{{job="{PROBE_JOB}",check="{s.name}"}} == 0',
                for_=consecutive_failures_for(failures, settings),
                severity=s.severity,
                service=s.name,
                labels=DEPENDS_ON_RATD,
                condition=s.condition,
                check=f"GET {settings.health.path} → {s.name}: unhealthy",
                threshold=failures_text(failures),
                summary=f"{s.name} is unhealthy according to ratd",
                description=(
                    f"ratd's {settings.health.path} has reported {s.name} unhealthy {failures} time(s) "
                    f"in a row (probe_success = {VALUE})."
                ),
                runbook=Runbook(
                    s.meaning,
                    [
                        f"`curl -s http://localhost:8080{settings.health.path} | jq .` to see what ratd reports.",
                        f"`docker compose -f infra/docker-compose.yml ps {s.name}`: running and healthy?",
                        f"`docker compose -f infra/docker-compose.yml logs --tail 100 {s.name}` for the cause.",
                        f"`docker inspect --format='{{{{json .State.Health.Log}}}}' {s.name} | jq .` for the "
                        "latest health check output.",
                        '"connection refused" right after a restart: wait until the service is healthy.',
                    ],
                ),
                scenarios=scenarios(s.name, failures, settings),
            )
        )
    return alerts
