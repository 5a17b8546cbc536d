"""ratd's API is available: its liveness probe succeeds (every profile).

The probe, not request metrics, because ratd 0.2 has none, and because a ratd that is down
answers no request it could count: only a probe from outside sees that outage."""

from __future__ import annotations

from alerts._shared import PROBE_JOB, service_steps
from monitoring_as_code.settings import Settings
from monitoring_as_code.slo import SLO, ProbeSli
from slos._shared import slo


def define(settings: Settings) -> list[SLO]:
    return [
        slo(
            settings,
            "api-availability",
            service="ratd",
            description="ratd's API answers its liveness probe.",
            sli=ProbeSli(f'probe_success{{job="{PROBE_JOB}",check="live"}}'),
            steps=[
                "Is RatApiDown firing too? Then ratd is down now: follow its runbook.",
                "If not, ratd flapped: `docker compose -f infra/docker-compose.yml ps ratd` for restarts.",
                *service_steps("ratd", settings)[1:],
            ],
        )
    ]
