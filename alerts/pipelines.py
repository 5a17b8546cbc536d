"""Pipelines and the scheduler: failed runs, a full runner, a sudden change in triggered runs."""

from __future__ import annotations

import math

from alerts._shared import (
    BY_JOB,
    DEPENDS_ON_RATD,
    RATD_JOB,
    VALUE,
    baseline_is_complete,
    num,
    scheduler_stop_timing,
    window,
)
from alerts.profile_guide import GUIDE
from monitoring_as_code.model import Alert, Firing, RecordingRule, Runbook, Scenario
from monitoring_as_code.settings import Settings

PROFILES = (GUIDE,)
RATD = f'job="{RATD_JOB}"'


def trigger_rate(settings: Settings, *, baseline: bool = False) -> str:
    w = settings.windows.scheduler_baseline if baseline else settings.windows.scheduler_rate
    return f"job:ratd_scheduler_runs_triggered:rate{window(w)}"


def define(settings: Settings) -> list[Alert | RecordingRule]:
    by = BY_JOB
    t, w = settings.thresholds, settings.windows
    failures_window = window(w.pipeline_failures)
    queue_limit = settings.runner_max_concurrent * t.runner_queue_percent / 100
    rate, base = trigger_rate(settings), trigger_rate(settings, baseline=True)
    factor = num(t.scheduler_rate_change_factor)
    return [
        RecordingRule(
            trigger_rate(settings),
            f"sum by ({by}) (rate(ratd_scheduler_runs_triggered_total"
            f"{{{RATD}}}[{window(settings.windows.scheduler_rate)}]))",
        ),
        RecordingRule(
            trigger_rate(settings, baseline=True),
            f"sum by ({by}) (rate(ratd_scheduler_runs_triggered_total"
            f"{{{RATD}}}[{window(settings.windows.scheduler_baseline)}]))",
        ),
        Alert(
            name="RatPipelineFailures",
            # round(): increase() extrapolates to the window's edges, and Prometheus 3's left-open
            # windows hold one sample fewer; rounding keeps "> N failed runs" a count in both.
            expr=(
                f"round(sum by ({by}) (increase(ratd_pipeline_runs_total"
                f'{{job="{RATD_JOB}",status="failed"}}[{failures_window}]))) > {t.pipeline_failures_per_hour}'
            ),
            severity="warning",
            service="runner",
            labels=DEPENDS_ON_RATD,
            condition="Pipeline failures",
            check='ratd_pipeline_runs_total{status="failed"}',
            threshold=f"> {t.pipeline_failures_per_hour} in {failures_window}",
            summary="RAT pipelines are failing",
            description=f"{VALUE} pipeline runs failed in the last {failures_window}.",
            runbook=Runbook(
                "More pipeline runs than usual end in `failed`: bad input data, a broken pipeline "
                "change, or the runner running out of memory (DuckDB OOM).",
                [
                    "Run Success Rate panel: one pipeline or all of them?",
                    "`docker compose -f infra/docker-compose.yml logs --tail 200 runner | grep ERROR`.",
                    '"DuckDB OOM": see High memory usage on runner (Container Memory panel).',
                ],
            ),
            scenarios=_failure_scenarios(settings),
        ),
        Alert(
            name="RatRunnerQueueFull",
            expr=f'max by ({by}) (ratd_active_runs{{job="{RATD_JOB}"}}) >= {num(queue_limit)}',
            for_=t.runner_queue_for,
            severity="warning",
            service="runner",
            labels=DEPENDS_ON_RATD,
            condition="Runner queue full",
            check="ratd_active_runs",
            threshold=f">= {num(t.runner_queue_percent)}% of RUNNER_MAX_CONCURRENT ({settings.runner_max_concurrent})",
            summary="RAT runner is near its concurrency limit",
            description=(
                f"{VALUE} pipeline runs are active, of RUNNER_MAX_CONCURRENT = {settings.runner_max_concurrent}; "
                "new runs will queue."
            ),
            runbook=Runbook(
                "The runner executes nearly as many pipelines as RUNNER_MAX_CONCURRENT allows; further "
                "runs wait. Either a burst of scheduled runs or runs that hang.",
                [
                    "Active Runs panel: a steady climb (hung runs) or a burst (schedules)?",
                    "Check long-running pipelines in the portal; cancel the stuck ones.",
                    "If the load is real, raise RUNNER_MAX_CONCURRENT (and `runner.max_concurrent` in "
                    "monitoring.yaml) together with the runner's memory limit.",
                ],
            ),
            scenarios=_queue_scenarios(settings, queue_limit),
        ),
        Alert(
            name="RatSchedulerTriggerRateChange",
            # A NaN ratio (no triggers in either window) compares false: an idle scheduler is quiet.
            expr=(
                f"(\n  {rate} / {base} > {factor}\nor\n  {rate} / {base} < 1 / {factor}\n)\n"
                + baseline_is_complete(
                    f'ratd_scheduler_runs_triggered_total{{job="{RATD_JOB}"}}', w.scheduler_baseline, settings
                )
            ),
            for_=t.scheduler_rate_for,
            severity="info",
            service="ratd",
            condition="Scheduler trigger rate",
            check="ratd_scheduler_runs_triggered_total",
            threshold=(
                f"{window(w.scheduler_rate)} rate beyond {factor}x or 1/{factor} of its "
                f"{window(w.scheduler_baseline)} average"
            ),
            summary="RAT scheduler trigger rate changed suddenly",
            description=(
                f"The scheduler triggers runs at {VALUE}x its {window(w.scheduler_baseline)} average "
                f"(over {window(w.scheduler_rate)})."
            ),
            runbook=Runbook(
                "The scheduler triggers far more or far fewer runs than over the last hours: a schedule "
                "was added or removed, or the scheduler stalls.",
                [
                    "ratd's logs: `scheduler tick` lines show evaluated and triggered counts.",
                    "Was a schedule changed recently? If not and the rate dropped, restart ratd.",
                ],
            ),
            scenarios=_trigger_scenarios(settings),
        ),
    ]


def _failure_scenarios(settings: Settings) -> list[Scenario]:
    threshold = settings.thresholds.pipeline_failures_per_hour
    series = f'ratd_pipeline_runs_total{{job="{RATD_JOB}",status="failed"}}'

    def failing(count: int) -> str:
        steps = " ".join(str(i) for i in range(1, count + 1))
        return f"0x20 {steps} {count}x20".replace("  ", " ")

    # Ten scrapes after the last failure: inside the series and well inside the window.
    at = (21 + threshold + 1 + 10) * settings.intervals.scrape
    return [
        Scenario(
            f"fires on {threshold + 1} failed runs",
            {series: failing(threshold + 1)},
            at=at,
            fires=[Firing({"job": RATD_JOB}, threshold + 1)],
        ),
        Scenario(f"silent on {threshold} failed runs", {series: failing(threshold)}, at=at),
    ]


def _queue_scenarios(settings: Settings, limit: float) -> list[Scenario]:
    series = f'ratd_active_runs{{job="{RATD_JOB}"}}'
    samples = int((settings.thresholds.runner_queue_for + 300) // settings.intervals.scrape)
    at = samples * settings.intervals.scrape
    at_limit = math.ceil(limit)  # runs are whole: the first count that reaches the limit
    return [
        Scenario(
            "fires at the limit", {series: f"{at_limit}x{samples}"}, at=at, fires=[Firing({"job": RATD_JOB}, at_limit)]
        ),
        Scenario("silent one run below the limit", {series: f"{at_limit - 1}x{samples}"}, at=at),
    ]


def _trigger_scenarios(settings: Settings) -> list[Scenario]:
    """A steady trigger rate over the whole baseline, then a stop (fires) or a rise below the factor.
    Sampled once a minute at most: hours of 15s samples make a slow test and prove nothing more."""
    t = settings.thresholds
    timing = scheduler_stop_timing("RatSchedulerTriggerRateChange", settings, counter=True)
    series = f'ratd_scheduler_runs_triggered_total{{job="{RATD_JOB}"}}'
    steady, tail, filling = timing.steady, timing.tail, timing.filling
    per_step = 1.0
    end = steady * per_step
    slower_rise = per_step * (t.scheduler_rate_change_factor + 1) / 2
    return [
        Scenario(
            "fires when the scheduler stops triggering",
            {series: f"0+{num(per_step)}x{steady} {num(end)}x{tail}"},
            at=timing.at * timing.step,
            fires=[Firing({"job": RATD_JOB}, 0)],
            **timing.timing,
        ),
        Scenario(
            "silent on a rise below the factor",
            {series: f"0+{num(per_step)}x{steady} {num(end + slower_rise)}+{num(slower_rise)}x{tail - 1}"},
            at=timing.at * timing.step,
            **timing.timing,
        ),
        Scenario(
            "silent while the baseline window is still filling",
            {series: f"0+{num(per_step)}x{filling} {num(filling * per_step)}x{tail}"},
            at=timing.filling_at * timing.step,
            **timing.timing,
        ),
    ]
