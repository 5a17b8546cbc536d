"""ratd 0.2's dependencies (ratd-0.2 profile): one probe per check of `/health/ready`, one alert
each after N consecutive failures, and Nessie, which ratd does not check, probed on its own API
(on a cluster only when kubernetes.in_cluster lists nessie, as its own metrics are).

`/health/ready` answers `{"status": "ready"|"not_ready", "checks": {"postgres": {"status": "ok"}, ...}}`,
with 503 while any check fails. Each probe reads only its own key, and fails only on an explicit
`"status": "error"` there: a dependency that is not configured has no key and is no fault.
"""

from __future__ import annotations

from alerts._shared import (
    PROBE_JOB,
    VALUE,
    Dependency,
    consecutive_failures_for,
    dependency_down,
    failures_text,
    http_get,
    monitored_here,
    probe_failure_scenarios,
    scenario_instance,
    service_steps,
)
from alerts.profile_ratd_0_2 import RATD_0_2, READY_CHECKS
from alerts.scrape import HTTP_2XX, IPV4
from monitoring_as_code.model import Alert, BlackboxModule, Probe, Runbook
from monitoring_as_code.settings import Settings

PROFILES = (RATD_0_2,)
NESSIE_CHECK = "nessie"
# Nessie's REST API answers here whenever it serves requests; its Quarkus health endpoints sit on a
# management port that depends on Nessie's configuration, so the API is the steadier signal.
NESSIE_PATH = "/api/v2/config"


# The current guide's tables: postgres, s3 and runner page; query (ratq) warns.
DEPENDENCIES = (
    Dependency("postgres", "RatPostgresDown", "critical", "Postgres down",
               "ratd's Postgres check fails: no run, schedule or metadata can be read or written."),
    Dependency("s3", "RatS3Down", "critical", "S3 down",
               "ratd's S3 (MinIO) check fails: no pipeline code or data can be read or written."),
    Dependency("runner", "RatRunnerDown", "critical", "Runner down",
               "ratd cannot open a TCP connection to the runner (its check dials the first address of "
               "RUNNER_ADDR, or the executor plugin's): pipelines cannot be submitted. A passing check "
               "says only that the port accepts connections, not that the runner executes."),
    Dependency("query", "RatQueryDown", "warning", "query (ratq) down",
               "ratd cannot open a TCP connection to ratq (its check dials RATQ_ADDR): interactive "
               "queries from the portal fail. A passing check says only that the port accepts connections."),
)  # fmt: skip
# The checks ratd answers by a TCP dial alone (platform/internal/transport/health.go): their alerts
# say so, rather than promise that the service works.
TCP_CHECKS = frozenset({"runner", "query"})


def error_pattern(check: str) -> str:
    """Matches `"<check>": {... "status": "error" ...}` in either key order. Strings are read as
    whole tokens, so braces or quotes inside an error message neither end the object early nor
    fake a status. RE2 (blackbox_exporter) and Python read it alike."""
    string = r'"(?:[^"\\]|\\.)*"'
    return rf'"{check}"\s*:\s*\{{(?:[^{{}}"]|{string})*"status"\s*:\s*"error"'


def ready_module(check: str) -> str:
    return f"rat_ready_{check}"


def define(settings: Settings) -> list[Alert | BlackboxModule | Probe]:
    health, targets = settings.health, settings.targets
    ready_url = f"http://{targets.ratd}{health.ready_path}"
    # Each check's probe is a GET of /health/ready that ratd logs (logging.go): one line per
    # check per probe, so they run every intervals.dependency_probe, not at every scrape. The
    # readiness probe (scrape.py) still asks every scrape whether any check fails.
    every = settings.intervals.dependency_probe
    objects: list[Alert | BlackboxModule | Probe] = []
    for d in DEPENDENCIES:
        service = READY_CHECKS[d.check]
        # 503 while any dependency is down: the body decides which one.
        http = {
            **IPV4,
            "valid_status_codes": list(health.valid_status_codes),
            "fail_if_body_matches_regexp": [error_pattern(d.check)],
        }
        objects += [
            BlackboxModule(ready_module(d.check), "http", health.timeout, http),
            Probe(d.check, ready_module(d.check), ready_url, PROBE_JOB, each_pod=True, interval=every),
            *dependency_down(
                d,
                service,
                health.ready_path,
                settings,
                check=f'GET {health.ready_path} → checks.{d.check}.status == "error"'
                + (" (a TCP dial from ratd)" if d.check in TCP_CHECKS else ""),
                summary=(
                    f"{service} is not TCP reachable from ratd"
                    if d.check in TCP_CHECKS
                    else f"{service} is down according to ratd"
                ),
                says=f"checks.{d.check} in error" + (" (its TCP dial failed)" if d.check in TCP_CHECKS else ""),
                interval=every,
            ),
        ]
    # On a cluster Nessie may be a managed catalog (Dremio Cloud): no `nessie` Service to probe then.
    if not monitored_here("nessie", settings):
        return objects
    nessie_url = f"http://{targets.nessie}{NESSIE_PATH}"
    failures = settings.thresholds.consecutive_failures["nessie"]
    objects += [
        Probe(NESSIE_CHECK, HTTP_2XX, nessie_url, PROBE_JOB),
        Alert(
            name="RatNessieDown",
            expr=f'probe_success{{job="{PROBE_JOB}",check="{NESSIE_CHECK}"}} == 0',
            for_=consecutive_failures_for(failures, settings),
            severity="warning",
            service="nessie",
            condition="Nessie down",
            check=f"GET {NESSIE_PATH} on Nessie returns non-2xx",
            threshold=failures_text(failures),
            summary="Nessie does not answer",
            description=f"Nessie's {NESSIE_PATH} failed {failures} time(s) in a row (probe_success = {VALUE}).",
            runbook=Runbook(
                "Nessie, the Iceberg catalog, does not answer: catalog reads and commits of ratd, ratq and "
                "the runner fail. ratd 0.2 does not check Nessie itself, so this probe asks Nessie directly.",
                [
                    f"{http_get(targets.nessie, NESSIE_PATH, settings)}: does Nessie answer?",
                    *service_steps("nessie", settings),
                ],
            ),
            scenarios=probe_failure_scenarios(
                NESSIE_CHECK, scenario_instance("nessie:19120", NESSIE_PATH), failures, settings
            ),
        ),
    ]
    return objects
