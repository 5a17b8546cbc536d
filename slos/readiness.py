"""ratd is ready to serve: its readiness probe succeeds, every configured dependency answers
(ratd-0.2, whose /health/ready reports them; the guide's ratd has no such endpoint to trust)."""

from __future__ import annotations

from alerts._shared import PROBE_JOB, http_get
from alerts.profile_ratd_0_2 import RATD_0_2
from monitoring_as_code.settings import Settings
from monitoring_as_code.slo import SLO, ProbeSli
from slos._shared import slo

PROFILES = (RATD_0_2,)


def define(settings: Settings) -> list[SLO]:
    return [
        slo(
            settings,
            "api-readiness",
            service="ratd",
            description="ratd's /health/ready reports every configured dependency ok.",
            sli=ProbeSli(f'probe_success{{job="{PROBE_JOB}",check="ready"}}'),
            # Every cause of a readiness burn has its own alert (RatPostgresDown, RatS3Down,
            # RatRunnerDown page; RatQueryDown is a warning, as the guide grades a ratq outage):
            # a page here would be a second incident for one outage, and would page for ratq.
            pages=False,
            steps=[
                "Service Readiness on the RAT overview: which dependency check is red?",
                f"{http_get(settings.targets.ratd, settings.health.ready_path, settings, '| jq .checks')} for ratd's "
                "errors.",
                "A dependency alert (RatPostgresDown, RatS3Down, ...) firing too names the cause.",
            ],
        )
    ]
