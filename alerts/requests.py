"""ratd's requests (guide profile): slow or flooded, and the recording rules that measure them."""

from __future__ import annotations

import math

from alerts._shared import BY_JOB, RATD_JOB, VALUE, baseline_is_complete, num, pace, window
from alerts.profile_guide import GUIDE
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import Alert, Firing, RecordingRule, Runbook, Scenario
from monitoring_as_code.settings import Settings

PROFILES = (GUIDE,)
RATD = f'job="{RATD_JOB}"'


def request_rate(settings: Settings, *, baseline: bool = False) -> str:
    w = settings.windows.request_baseline if baseline else settings.windows.rate
    return f"job:ratd_http_requests:rate{window(w)}"


def request_rate_by_path_status(settings: Settings) -> str:
    return f"job_path_status:ratd_http_requests:rate{window(settings.windows.rate)}"


def error_ratio(settings: Settings) -> str:
    return f"job:ratd_http_requests_5xx:ratio_rate{window(settings.windows.rate)}"


def latency_p99(settings: Settings, *, by_path: bool = False) -> str:
    level = "job_path" if by_path else "job"
    return f"{level}:ratd_http_request_duration_seconds:p99_rate{window(settings.windows.rate)}"


def define(settings: Settings) -> list[Alert | RecordingRule]:
    by = BY_JOB
    t = settings.thresholds
    rate, baseline_window = window(settings.windows.rate), window(settings.windows.request_baseline)
    p99, spike = latency_p99(settings), request_rate(settings)
    baseline = request_rate(settings, baseline=True)
    return [
        RecordingRule(request_rate(settings), f"sum by ({by}) (rate(ratd_http_requests_total{{{RATD}}}[{rate}]))"),
        RecordingRule(
            request_rate(settings, baseline=True),
            f"sum by ({by}) (rate(ratd_http_requests_total{{{RATD}}}[{baseline_window}]))",
        ),
        RecordingRule(
            request_rate_by_path_status(settings),
            f"sum by ({by}, path, status) (rate(ratd_http_requests_total{{{RATD}}}[{rate}]))",
        ),
        RecordingRule(
            error_ratio(settings),
            f'sum by ({by}) (rate(ratd_http_requests_total{{{RATD},status=~"5.."}}[{rate}]))\n'
            f"/\nsum by ({by}) (rate(ratd_http_requests_total{{{RATD}}}[{rate}]))",
        ),
        RecordingRule(
            latency_p99(settings),
            f"histogram_quantile(0.99, sum by ({by}, le) "
            f"(rate(ratd_http_request_duration_seconds_bucket{{{RATD}}}[{rate}])))",
        ),
        RecordingRule(
            latency_p99(settings, by_path=True),
            f"histogram_quantile(0.99, sum by ({by}, path, le) "
            f"(rate(ratd_http_request_duration_seconds_bucket{{{RATD}}}[{rate}])))",
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
    steps. The baseline average takes in the jump as it lasts, so the jump is sized to stay
    `factor` times above the average it lifts (twice what that takes)."""
    t = settings.thresholds
    # Sampled at the scrape interval, or coarser for days of baseline (a quarter of the rate window at most).
    step = pace(settings.windows.request_baseline, settings, coarsest=settings.windows.rate / 4)
    requests = 'ratd_http_requests_total{job="ratd",path="/api/v1/pipelines",method="GET",status="200"}'
    baseline, factor = settings.windows.request_baseline, t.request_spike_factor
    steady = int(baseline // step)
    held = settings.windows.rate + t.request_spike_for  # a jump fires after the rate window and `for`
    if factor * held >= baseline:
        # rate > factor x average can no longer hold once the jump fills 1/factor of the baseline.
        raise DefinitionError(
            f"a sustained jump fills 1/{num(factor)} of windows.request_baseline before RatRequestVolumeSpike "
            "could fire (after windows.rate and request_spike_for): lengthen the baseline or shorten those",
            obj="settings thresholds.request_spike_factor",
            file=settings.source,
        )
    # A step or two more, for evaluations that land between samples, where the baseline allows.
    margin = next(m for m in (2, 1, 0) if factor * (held + m * step) < baseline)
    tail = int(held // step) + margin
    jump = tail * step / baseline  # the share of the baseline window the jump fills at the end
    base_rps = max(1.0, t.request_spike_min_rps)

    def values(rps: float, history: int = steady) -> str:
        start = history * step * base_rps
        return f"0+{num(step * base_rps)}x{history} {num(start + step * rps)}+{num(step * rps)}x{tail - 1}"

    big = math.ceil(2 * factor * base_rps * (1 - jump) / (1 - factor * jump))
    small = base_rps * factor / 2
    at = (steady + tail) * step
    short = steady // 6  # a history far shorter than the baseline window
    return [
        Scenario(
            "fires on a sustained jump",
            {requests: values(big)},
            at=at,
            interval=step,
            evaluation_interval=step,
            fires=[Firing({"job": "ratd"}, big)],
        ),
        Scenario("silent on a smaller rise", {requests: values(small)}, at=at, interval=step, evaluation_interval=step),
        Scenario(
            "silent while the baseline window is still filling",
            {requests: values(big, short)},
            at=(short + tail) * step,
            interval=step,
            evaluation_interval=step,
        ),
    ]
