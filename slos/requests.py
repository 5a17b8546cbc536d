"""ratd's requests (guide profile): answered without a server error, and answered fast."""

from __future__ import annotations

from alerts._shared import RATD_JOB
from alerts.profile_guide import GUIDE
from monitoring_as_code.settings import Settings
from monitoring_as_code.slo import SECTION as SLOS
from monitoring_as_code.slo import SLO, LatencySli, RequestsSli
from slos._shared import slo

PROFILES = (GUIDE,)
RATD = f'job="{RATD_JOB}"'
REQUESTS = "ratd_http_requests_total"


def define(settings: Settings) -> list[SLO]:
    fast = settings.of(SLOS).request_latency_seconds
    return [
        slo(
            settings,
            "request-availability",
            service="ratd",
            description="ratd answers its requests without a server error (5xx).",
            sli=RequestsSli(
                bad=f'{REQUESTS}{{{RATD},status=~"5.."}}',
                total=f"{REQUESTS}{{{RATD}}}",
                bad_series=f'{REQUESTS}{{{RATD},method="GET",path="/api/v1/runs",status="500"}}',
                good_series=f'{REQUESTS}{{{RATD},method="GET",path="/api/v1/runs",status="200"}}',
            ),
            steps=[
                "Request Rate and Error Rate on the RAT overview: which paths answer 5xx?",
                "ratd's ERROR lines (ratd Errors panel, or `docker compose -f infra/docker-compose.yml logs ratd`).",
            ],
        ),
        slo(
            settings,
            "request-latency",
            service="ratd",
            description=f"ratd answers its requests within {fast:g}s.",
            sli=LatencySli("ratd_http_request_duration_seconds", RATD, fast),
            steps=[
                "API Latency on the RAT overview: which paths are slow?",
                "Container CPU and Memory: is ratd or a dependency at its limit?",
            ],
        ),
    ]
