"""ratd's API: down, slow, or flooded."""

from __future__ import annotations

import math

from alerts._shared import (
    PROBE_JOB,
    RATD_JOB,
    VALUE,
    baseline_is_complete,
    consecutive_failures_for,
    failures_text,
    num,
    window,
)
from alerts.recording import latency_p99, request_rate
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import Alert, Firing, Runbook, Scenario
from monitoring_as_code.settings import Settings

LIVE = f'probe_success{{job="{PROBE_JOB}",check="live",instance="http://ratd:8080/health/live"}}'


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    api_failures = t.consecutive_failures["api"]
    p99, spike = latency_p99(settings), request_rate(settings)
    baseline = request_rate(settings, baseline=True)
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
                    "`docker inspect --format='{{json .State.Health.Log}}' ratd | jq .` for the health check output.",
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
        Alert(
            name="RatApiHighLatency",
            expr=f"{p99} > {num(t.api_p99_latency_seconds)}",
            for_=t.api_latency_for,
            severity="warning",
            service="ratd",
            labels={"depends_on": "ratd"},
            condition="High latency",
            check="ratd_http_request_duration_seconds p99",
            threshold=f"> {num(t.api_p99_latency_seconds)} seconds",
            summary="RAT API p99 latency is high",
            description=(
                f'99% of ratd\'s requests finish within {{{{ $value | printf "%.2f" }}}}s over the last '
                f"{window(settings.windows.rate)}, above {num(t.api_p99_latency_seconds)}s."
            ),
            runbook=Runbook(
                "ratd answers, but slowly. Usually a slow dependency (Postgres, MinIO, Nessie) or a "
                "saturated runner; the API Latency panel shows which paths.",
                [
                    "Open the RAT dashboard: API Latency by path, Active Runs, Container CPU and Memory.",
                    "`docker stats --no-stream` for a container at its CPU or memory limit.",
                    "Check ratd's logs for slow queries or timeouts to postgres, minio or nessie.",
                ],
            ),
            scenarios=_latency_scenarios(settings),
        ),
        Alert(
            name="RatRequestVolumeSpike",
            expr=(
                f"{spike} > {num(t.request_spike_factor)} * {baseline}\nand {spike} > {num(t.request_spike_min_rps)}\n"
                + baseline_is_complete(
                    f'ratd_http_requests_total{{job="{RATD_JOB}"}}', settings.windows.request_baseline, settings
                )
            ),
            for_=t.request_spike_for,
            severity="info",
            service="ratd",
            condition="Request volume",
            check="ratd_http_requests_total",
            threshold=(
                f"{num(t.request_spike_factor)}x the {window(settings.windows.request_baseline)} average "
                f"(and > {num(t.request_spike_min_rps)} req/s)"
            ),
            summary="Unusual spike in RAT API requests",
            description=(
                f"ratd serves {VALUE} requests/s, more than {num(t.request_spike_factor)}x its "
                f"{window(settings.windows.request_baseline)} average."
            ),
            runbook=Runbook(
                "Request volume jumped well above its recent average: a new client, a retry storm, a "
                "runaway script or abuse.",
                [
                    "Request Rate panel: which paths and statuses grew?",
                    "ratd's logs: which clients (addresses, tokens) send the extra traffic?",
                ],
            ),
            scenarios=_spike_scenarios(settings),
        ),
    ]


def _latency_scenarios(settings: Settings) -> list[Scenario]:
    """Every request lands in one bucket; the p99 interpolates inside it."""
    bucket = 'ratd_http_request_duration_seconds_bucket{job="ratd",path="/api/v1/pipelines",le="%s"}'
    threshold = settings.thresholds.api_p99_latency_seconds
    # Bounds just below and well above the threshold: p99 = lower + 0.99 * (upper - lower).
    bounds = [threshold / 5, threshold, 2 * threshold]
    at = settings.thresholds.api_latency_for + 2 * settings.windows.rate

    def series(slow: bool) -> dict[str, str]:
        # 10 requests per scrape, all in (threshold, 2*threshold] if slow, else in (threshold/5, threshold]
        filled = bounds[2:] if slow else bounds[1:]
        out = {bucket % num(b): ("0+10x100" if b in filled else "0x100") for b in bounds}
        out[bucket % "+Inf"] = "0+10x100"
        return out

    def p99(lower: float, upper: float) -> float:
        return lower + 0.99 * (upper - lower)

    return [
        Scenario(
            "fires when the p99 stays above the threshold",
            series(slow=True),
            at=at,
            fires=[Firing({"job": "ratd"}, p99(threshold, 2 * threshold))],
        ),
        Scenario("silent with the p99 just below the threshold", series(slow=False), at=at),
    ]


def _spike_scenarios(settings: Settings) -> list[Scenario]:
    """A baseline window at a steady rate, then a jump held for the rate window, `for` and a few
    scrapes. The baseline average takes in the jump as it lasts, so the jump is sized to stay
    `factor` times above the average it lifts (twice what that takes)."""
    t, scrape = settings.thresholds, settings.intervals.scrape
    requests = 'ratd_http_requests_total{job="ratd",path="/api/v1/pipelines",method="GET",status="200"}'
    baseline, factor = settings.windows.request_baseline, t.request_spike_factor
    steady = int(baseline // scrape)
    held = settings.windows.rate + t.request_spike_for  # a jump fires after the rate window and `for`
    if factor * held >= baseline:
        # rate > factor x average can no longer hold once the jump fills 1/factor of the baseline.
        raise DefinitionError(
            f"a sustained jump fills 1/{num(factor)} of windows.request_baseline before RatRequestVolumeSpike "
            "could fire (after windows.rate and request_spike_for): lengthen the baseline or shorten those",
            obj="settings thresholds.request_spike_factor",
            file=settings.source,
        )
    # A scrape or two more, for evaluations that land between samples, where the baseline allows.
    margin = next(m for m in (2, 1, 0) if factor * (held + m * scrape) < baseline)
    tail = int(held // scrape) + margin
    jump = tail * scrape / baseline  # the share of the baseline window the jump fills at the end
    base_rps = max(1.0, t.request_spike_min_rps)

    def values(rps: float, history: int = steady) -> str:
        start = history * scrape * base_rps
        return f"0+{num(scrape * base_rps)}x{history} {num(start + scrape * rps)}+{num(scrape * rps)}x{tail - 1}"

    big = math.ceil(2 * factor * base_rps * (1 - jump) / (1 - factor * jump))
    small = base_rps * factor / 2
    at = (steady + tail) * scrape
    short = steady // 6  # a history far shorter than the baseline window
    return [
        Scenario("fires on a sustained jump", {requests: values(big)}, at=at, fires=[Firing({"job": "ratd"}, big)]),
        Scenario("silent on a smaller rise", {requests: values(small)}, at=at),
        Scenario(
            "silent while the baseline window is still filling",
            {requests: values(big, short)},
            at=(short + tail) * scrape,
        ),
    ]
