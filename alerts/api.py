"""ratd's API is down: its liveness endpoint fails (every profile)."""

from __future__ import annotations

from alerts._shared import PROBE_JOB, VALUE, consecutive_failures_for, failures_text
from monitoring_as_code.model import COMPOSE, Alert, Firing, Runbook, Scenario
from monitoring_as_code.settings import Settings

# On a cluster, alerts/replicas.py says when ratd is down: every replica, not one probe.
PLATFORMS = (COMPOSE,)

LIVE = f'probe_success{{job="{PROBE_JOB}",check="live",instance="http://ratd:8080/health/live"}}'


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    api_failures = t.consecutive_failures["api"]
    live_labels = {"job": PROBE_JOB, "check": "live", "instance": "http://ratd:8080/health/live"}
    return [
        Alert(
            name="RatApiDown",
            expr=f'probe_success{{job="{PROBE_JOB}",check="live"}} == 0',
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
                    {LIVE: "1 1" + " 0" * api_failures},
                    at=(1 + api_failures) * settings.intervals.scrape,
                    fires=[Firing(live_labels, 0)],
                ),
                Scenario("silent while the probe succeeds", {LIVE: "1x10"}, at="2m"),
            ],
        ),
    ]
