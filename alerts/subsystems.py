"""The subsystems the guide's /health reports (guide profile): one probe and one alert each, the
alert after N consecutive failed probes."""

from __future__ import annotations

from alerts._shared import (
    PROBE_JOB,
    Dependency,
    dependency_down,
)
from alerts.profile_guide import GUIDE
from alerts.scrape import IPV4
from monitoring_as_code.model import Alert, BlackboxModule, Probe
from monitoring_as_code.settings import Settings

PROFILES = (GUIDE,)


# The guide's tables: postgres, minio and runner page; ratq warns. Nessie is not in the guide's
# tables, but /health reports it and the catalog is needed for every query: it warns. A
# subsystem's /health key is its compose service's name.
SUBSYSTEMS = (
    Dependency("postgres", "RatPostgresDown", "critical", "Postgres down",
               "ratd cannot run `SELECT 1` on Postgres: no run, schedule or metadata can be read or written."),
    Dependency("minio", "RatMinioDown", "critical", "MinIO down",
               "ratd cannot list its MinIO bucket: no data can be read or written."),
    Dependency("runner", "RatRunnerDown", "critical", "Runner down",
               "ratd cannot open a ready gRPC channel to the runner: pipelines cannot execute."),
    Dependency("ratq", "RatRatqUnhealthy", "warning", "ratq unhealthy",
               "ratd cannot open a ready gRPC channel to ratq: interactive queries fail."),
    Dependency("nessie", "RatNessieDown", "warning", "Nessie down",
               "ratd cannot reach Nessie's config endpoint: catalog reads and commits fail."),
)  # fmt: skip


def health_module(subsystem: str) -> str:
    return f"rat_health_{subsystem}"


def define(settings: Settings) -> list[Alert | BlackboxModule | Probe]:
    health = settings.health
    url = f"http://{settings.targets.ratd}{health.path}"
    objects: list[Alert | BlackboxModule | Probe] = []
    for s in SUBSYSTEMS:
        if s.check not in health.subsystems:
            continue
        # /health may answer 503 while degraded and still list each subsystem: the body decides.
        http = {
            **IPV4,
            "valid_status_codes": list(health.valid_status_codes),
            "fail_if_body_not_matches_regexp": [health.pattern_for(s.check)],
        }
        objects.append(BlackboxModule(health_module(s.check), "http", health.timeout, http))
        objects.append(Probe(s.check, health_module(s.check), url, PROBE_JOB, each_pod=True))
        objects.extend(
            dependency_down(
                s,
                s.check,
                health.path,
                settings,
                check=f"GET {health.path} → {s.check}: unhealthy",
                summary=f"{s.check} is unhealthy according to ratd",
                says=f"{s.check} unhealthy",
            )
        )
    return objects
