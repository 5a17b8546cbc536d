"""ratd's API is down: its liveness endpoint fails (every profile)."""

from __future__ import annotations

from alerts._shared import (
    LIVE,
    LIVE_SCENARIO_SERIES,
    PROBE_JOB,
    VALUE,
    baseline_is_complete,
    consecutive_failures_for,
    failures_text,
)
from monitoring_as_code.model import COMPOSE, Alert, Firing, Runbook, Scenario
from monitoring_as_code.settings import Settings

# On a cluster, alerts/replicas.py says when ratd is down: every replica, not one probe.
PLATFORMS = (COMPOSE,)


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    api_failures = t.consecutive_failures["api"]
    live_labels = {"job": PROBE_JOB, "check": "live", "instance": "http://ratd:8080/health/live"}
    step, grace = settings.intervals.scrape, settings.windows.rate
    history = int(grace // step) + 1  # samples that give the probe a history of `grace`
    return [
        Alert(
            name="RatApiDown",
            # Only once the probe has a history of windows.rate: on a first `make up` Prometheus
            # starts with RAT, whose ratd waits for its dependencies; that is no outage to page for.
            expr=f"{LIVE} == 0\n" + baseline_is_complete(LIVE, grace, settings),
            for_=consecutive_failures_for(api_failures, settings),
            severity="critical",
            service="ratd",
            condition="API down",
            check=f"GET {settings.health.live_path} returns non-200",
            threshold=failures_text(api_failures),
            summary="RAT API (ratd) is down",
            description=(
                f"GET {{{{ $labels.instance }}}} failed {api_failures} time(s) in a row "
                f"(probe_success = {VALUE}): ratd is not accepting connections."
            ),
            runbook=Runbook(
                "ratd's liveness endpoint does not answer 200: the process is down, restarting, or not "
                "reachable from the monitoring network. Everything RAT serves is unavailable.",
                [
                    "`docker compose -f infra/docker-compose.yml ps ratd`: is it running, restarting, unhealthy?",
                    "`docker compose -f infra/docker-compose.yml logs --tail 100 ratd` for a crash or a failed start.",
                    "`docker inspect ratd | jq '.[0].State.Health.Log'` for the health check output.",
                    "If ratd runs, check that blackbox-exporter shares a network with it.",
                ],
            ),
            scenarios=[
                Scenario(
                    f"fires on the {api_failures}. failed probe",
                    {LIVE_SCENARIO_SERIES: f"1x{history}" + " 0" * api_failures},
                    at=(history + api_failures) * step,
                    fires=[Firing(live_labels, 0)],
                ),
                Scenario(
                    "silent while the probe succeeds",
                    {LIVE_SCENARIO_SERIES: f"1x{history + 10}"},
                    at=(history + 10) * step,
                ),
                Scenario(
                    "silent while ratd is still starting with the monitoring (no probe history yet)",
                    {LIVE_SCENARIO_SERIES: f"0x{history - 2}"},
                    at=tuple(k * step for k in range(history - 1)),
                ),
                Scenario(
                    "fires when ratd never comes up, once the probe has a history",
                    {LIVE_SCENARIO_SERIES: f"0x{history + api_failures + 1}"},
                    at=(history + api_failures + 1) * step,
                    fires=[Firing(live_labels, 0)],
                ),
            ],
        ),
    ]
