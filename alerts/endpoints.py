"""The two endpoints of RAT nothing else probes (compose): the portal, RAT's UI, and ratd's internal
listener.

- The portal: HTTP on its port at `/`, the page its compose health check fetches
  (`wget -qO- http://127.0.0.1:3000`, infra/docker-compose.yml).
- ratd's internal listener (INTERNAL_LISTEN_ADDR, 8090, unauthenticated, never published): the
  runner posts each run's terminal status there (RATD_CALLBACK_URL) and plugins phone home there.
  It mirrors ratd's health routes (internal_routes.go, mountInternalHealthRoutes); its
  /health/live needs no auth and is one of the two paths ratd's RequestLogger does not log, so
  the probe adds no line to ratd's logs. It fails alone when the listener is down, unbound or
  unreachable from the container network while the public listener answers: RatApiDown speaks
  when ratd itself is down, so this alert is muted then.

Severity comes from compose.probe_pages: an endpoint listed there pages, the other files a ticket.
"""

from __future__ import annotations

from alerts._shared import (
    DEPENDS_ON_RATD,
    PROBE_JOB,
    VALUE,
    consecutive_failures_for,
    failures_text,
    http_get,
    probe_failure_scenarios,
    scenario_instance,
    service_steps,
    while_ratd_answers,
)
from alerts.scrape import HTTP_2XX
from monitoring_as_code.model import COMPOSE, Alert, Probe, Runbook
from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.settings import Settings

PLATFORMS = (COMPOSE,)
PORTAL_CHECK = "portal"
INTERNAL_CHECK = "ratd_internal"
PORTAL_PATH = "/"  # what RAT's compose health check of the portal fetches


def _severity(check: str, settings: Settings) -> str:
    return "critical" if check in settings.of(COMPOSE_SETTINGS).probe_pages else "warning"


def _down(check: str, settings: Settings) -> str:
    return f'probe_success{{job="{PROBE_JOB}",check="{check}"}} == 0'


def define(settings: Settings) -> list[Alert | Probe]:
    targets, health, t = settings.targets, settings.health, settings.thresholds
    portal_failures = t.consecutive_failures[PORTAL_CHECK]
    internal_failures = t.consecutive_failures[INTERNAL_CHECK]
    internal_url = f"http://{targets.ratd_internal}{health.live_path}"
    from_the_prober = (
        "`docker exec $(docker ps -qf label=com.docker.compose.service=blackbox-exporter) "
        f"wget -qO- {internal_url}`: does the listener answer from the probe's network?"
    )
    return [
        Probe(PORTAL_CHECK, HTTP_2XX, f"http://{targets.portal}{PORTAL_PATH}", PROBE_JOB),
        Alert(
            name="RatPortalDown",
            expr=_down(PORTAL_CHECK, settings),
            for_=consecutive_failures_for(portal_failures, settings),
            severity=_severity(PORTAL_CHECK, settings),
            service="portal",
            condition="Portal down",
            check=f"GET {PORTAL_PATH} on the portal returns non-2xx",
            threshold=failures_text(portal_failures),
            summary="RAT's portal (the web UI) does not answer",
            description=(
                f"The portal's {PORTAL_PATH} failed {portal_failures} time(s) in a row "
                f"(probe_success = {VALUE}): users cannot open RAT's UI."
            ),
            runbook=Runbook(
                "The portal, the web UI RAT's users open, does not serve its page: every user is locked out "
                "of the UI, even while ratd's API answers. It pages by default (compose.probe_pages): for "
                "its users this is RAT being down.",
                [
                    f"{http_get(targets.portal, PORTAL_PATH, settings, '-o /dev/null -w %{http_code}')}: "
                    "does the portal answer, and with what?",
                    *service_steps("portal", settings),
                    "The portal starts only once ratd is healthy (depends_on): is RatApiDown firing too?",
                ],
            ),
            scenarios=probe_failure_scenarios(
                PORTAL_CHECK, scenario_instance(targets.portal, PORTAL_PATH), portal_failures, settings
            ),
        ),
        Probe(INTERNAL_CHECK, HTTP_2XX, internal_url, PROBE_JOB),
        Alert(
            name="RatApiInternalListenerDown",
            expr=f"{_down(INTERNAL_CHECK, settings)}\n{while_ratd_answers()}",
            for_=consecutive_failures_for(internal_failures, settings),
            severity=_severity(INTERNAL_CHECK, settings),
            service="ratd",
            labels=DEPENDS_ON_RATD,
            condition="ratd internal listener down",
            check=f"GET {health.live_path} on ratd's internal listener returns non-2xx",
            threshold=failures_text(internal_failures),
            summary="ratd's internal listener does not answer while its API does",
            description=(
                f"{internal_url} failed {internal_failures} time(s) in a row (probe_success = {VALUE}) "
                "while ratd's public /health/live answers."
            ),
            runbook=Runbook(
                "ratd's internal listener (INTERNAL_LISTEN_ADDR) does not answer, though its public API does: "
                "the runner cannot post runs' terminal status (RATD_CALLBACK_URL), so ratd misses how finished "
                "runs ended, and plugins cannot register.",
                [
                    from_the_prober,
                    "`docker compose -f infra/docker-compose.yml config ratd | grep INTERNAL_LISTEN_ADDR`: "
                    "bound to 0.0.0.0 (a 127.0.0.1 bind is unreachable from other containers)?",
                    "`docker compose -f infra/docker-compose.yml logs --tail 100 ratd | grep -i internal` for a "
                    "failed listen.",
                    *service_steps("ratd", settings)[:1],
                ],
            ),
            scenarios=probe_failure_scenarios(
                INTERNAL_CHECK,
                scenario_instance(targets.ratd_internal, health.live_path),
                internal_failures,
                settings,
                through_ratd=True,
            ),
        ),
    ]
