"""ratd's API is available: its liveness probe succeeds (every profile).

The probe, not request metrics, because ratd 0.2 has none, and because a ratd that is down
answers no request it could count: only a probe from outside sees that outage. On a cluster,
the probe of the Service users reach: one pod of several down is not an outage users see, a
Service with no ready pod is."""

from __future__ import annotations

from alerts._shared import PROBE_JOB, SERVICE_CHECK, service_steps
from monitoring_as_code.model import KUBERNETES
from monitoring_as_code.settings import Settings
from monitoring_as_code.slo import SLO, ProbeSli
from slos._shared import slo


def define(settings: Settings) -> list[SLO]:
    check = SERVICE_CHECK if settings.platform == KUBERNETES else "live"
    return [
        slo(
            settings,
            "api-availability",
            service="ratd",
            description="ratd's API answers its liveness probe.",
            sli=ProbeSli(f'probe_success{{job="{PROBE_JOB}",check="{check}"}}'),
            steps=[
                "Is RatApiDown firing too? Then ratd is down now: follow its runbook.",
                f"If not, ratd flapped: {service_steps('ratd', settings)[0]}",
                *service_steps("ratd", settings)[1:],
            ],
        )
    ]
