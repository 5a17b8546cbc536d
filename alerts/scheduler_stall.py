"""ratd's scheduler has stopped (ratd-0.2 profile, every platform): ratd is up and exposes the tick
gauges, yet no replica's gauges changed for several tick intervals. A stopped scheduler keeps
serving its last tick's values, so the gauges' presence says nothing; their change does.

Muted while ratd is down (RatApiDown). On a cluster, a former leader's frozen gauges beside a
ticking new leader are a failover, not a stall: the alert counts the namespace's ticking replicas.
"""

from __future__ import annotations

from alerts._shared import (
    BY_JOB,
    DEPENDS_ON_RATD,
    RATD_JOB,
    SCHEDULER_TICK,
    num,
    tick_values,
    ticking,
    ticking_window,
    window,
)
from alerts.profile_ratd_0_2 import RATD_0_2
from monitoring_as_code.model import Alert, Firing, Runbook, Scenario
from monitoring_as_code.settings import Settings

PROFILES = (RATD_0_2,)
RATD = f'job="{RATD_JOB}"'


def define(settings: Settings) -> list[Alert]:
    frozen_for = ticking_window(settings)
    tick = f"{SCHEDULER_TICK}{{{RATD}}}"
    ticks = num(settings.thresholds.scheduler_stall_ticks)
    return [
        Alert(
            name="RatSchedulerStalled",
            expr=(
                f"count by ({BY_JOB}) ({tick})\n"
                f"unless on ({BY_JOB}) count by ({BY_JOB}) ({ticking(tick, settings)})\n"
                # Exposed a whole window ago too: a new ratd's gauges are no stall before its first ticks.
                f"and on ({BY_JOB}) count by ({BY_JOB}) ({tick} offset {window(frozen_for)})\n"
                f"and on ({BY_JOB}) count by ({BY_JOB}) (up{{{RATD}}} == 1)"
            ),
            severity="warning",
            service="ratd",
            labels=DEPENDS_ON_RATD,
            condition="Scheduler stalled",
            check=f"{SCHEDULER_TICK} unchanged on every replica",
            threshold=f"{ticks} tick intervals ({window(frozen_for)}) while ratd is up",
            summary="ratd's scheduler has stopped ticking",
            description=(
                "ratd is up, but the scheduler's tick gauges of {{ $value | humanize }} replica(s) have not "
                f"changed for {window(frozen_for)} ({ticks} ticks): schedules, triggers and the reaper do not run."
            ),
            runbook=Runbook(
                "The scheduler ticks every "
                f"{window(settings.ratd.scheduler_tick)} on the leader and sets its tick gauges each time; "
                "they have not changed for several ticks. The scheduler stopped (leadership lost and not "
                "taken over, a tick stuck on Postgres, or a crash of its goroutine) while ratd still serves.",
                [
                    "ratd's logs: the latest `scheduler started` / `scheduler stopped` and leader lines, and "
                    "`scheduler:` errors since.",
                    "Scheduler Tick Duration panel: when did the line go flat?",
                    "A tick stuck on Postgres: Postgres Pool Saturation and `pg_stat_activity` for long queries.",
                    "Restart ratd (on a cluster: the leader pod) to restart the scheduler.",
                ],
            ),
            scenarios=_stall_scenarios(settings),
        ),
    ]


def _stall_scenarios(settings: Settings) -> list[Scenario]:
    step = settings.intervals.scrape
    frozen = round(ticking_window(settings) / step)  # samples of a window
    a, b = (f'{SCHEDULER_TICK}{{{RATD},instance="ratd-{p}:8080"}}' for p in ("a", "b"))
    up_a, up_b = (f'up{{{RATD},instance="ratd-{p}:8080"}}' for p in ("a", "b"))
    history = tick_values(frozen + 2, settings)  # ticking for a whole window and then some
    last = history[-1]
    total = len(history) + frozen + 3

    def up(*names: str) -> dict[str, str]:
        return {name: f"1x{total}" for name in names}

    def times(start: int, end: int) -> tuple[float, ...]:
        return tuple(k * step for k in range(start, end))

    return [
        Scenario(
            "fires when the tick gauges freeze for the window",
            {a: " ".join(history + [last] * (frozen + 3)), **up(up_a)},
            at=(len(history) + frozen + 1) * step,
            fires=[Firing({"job": RATD_JOB}, 1)],
        ),
        Scenario(
            "silent while the scheduler ticks",
            {a: " ".join(tick_values(total, settings)), **up(up_a)},
            at=times(0, total),
        ),
        Scenario(
            "silent when the gauges stand still for less than the window (a long tick)",
            {
                a: " ".join(history + [last] * (frozen - 3) + tick_values(5, settings, first=len(history) + frozen)),
                **up(up_a),
            },
            at=times(0, len(history) + frozen + 3),
        ),
        Scenario(
            "silent on a new ratd before a window of ticks",
            {a: " ".join(["0"] * (frozen - 1)), **up(up_a)},
            at=times(0, frozen - 1),
        ),
        Scenario(
            "silent through a failover: the old leader's gauges frozen, the new leader's ticking",
            {
                a: " ".join(history + [last] * (frozen + 3)),
                b: " ".join(["_"] * len(history) + tick_values(frozen + 3, settings)),
                **up(up_a, up_b),
            },
            at=times(0, total),
        ),
    ]
