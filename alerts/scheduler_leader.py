"""ratd's scheduler leader on a cluster (ratd-0.2 profile, kubernetes output). Replicas elect one
leader through a Postgres advisory lock; only the leader runs the scheduler and emits its
metrics (rat-kubernetes.md, "Leader Election"). No replica emitting them means schedules never
fire; two emitting means two schedulers dispatch the same runs.

The signal is `ratd_scheduler_last_tick_duration_seconds`, set on every tick. A replica that led
keeps exposing its last values after it stops leading, so a leader is a replica whose gauges
change (alerts/scheduler_stall.py fires when none does). Both alerts wait
`thresholds.scheduler_leader_for`, longer than a failover (the lock is taken over when the old
leader's Postgres session ends) and than the old leader's last change takes to leave the ticking
window, and both are muted while ratd is down (RatApiDown).
"""

from __future__ import annotations

from alerts._shared import (
    DEPENDS_ON_RATD,
    RATD_JOB,
    SCHEDULER_TICK,
    VALUE,
    tick_values,
    ticking,
    ticking_window,
    window,
)
from alerts.profile_ratd_0_2 import RATD_0_2
from alerts.replicas import kubectl, rat_namespace
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import KUBERNETES, Alert, Firing, Runbook, Scenario
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.settings import Settings

PROFILES = (RATD_0_2,)
PLATFORMS = (KUBERNETES,)
TICK = SCHEDULER_TICK


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    step = settings.intervals.scrape
    leader_for = t.scheduler_leader_for
    steps = round(leader_for / step)
    ratd = f'job="{RATD_JOB}",{rat_namespace(settings)}'
    namespace = settings.of(KUBERNETES_SETTINGS).rat_namespace
    up_a, up_b = (f'up{{{ratd},pod="ratd-{p}"}}' for p in ("a", "b"))
    tick_a, tick_b = (f'{TICK}{{{ratd},pod="ratd-{p}"}}' for p in ("a", "b"))
    long = f"1x{steps + 4}"
    labels = {"namespace": namespace}
    ticking_for = ticking_window(settings)
    if leader_for < ticking_for:
        raise DefinitionError(
            f"a failover would fire RatSchedulerMultipleLeaders: the old leader counts as ticking for "
            f"{window(ticking_for)} (thresholds.scheduler_stall_ticks x ratd.scheduler_tick) after it stops; "
            "make scheduler_leader_for at least that long",
            obj="settings thresholds.scheduler_leader_for",
            file=settings.source,
        )
    frozen = round(ticking_for / step)  # samples of the ticking window
    span = steps + frozen + 4
    old_leader = " ".join(tick_values(4, settings) + [tick_values(4, settings)[-1]] * (span - 4))
    new_leader = " ".join(["_"] * 4 + tick_values(span - 4, settings))
    return [
        Alert(
            name="RatSchedulerNoLeader",
            expr=(
                f"count by (namespace) (up{{{ratd}}} == 1)\n"
                f"unless on (namespace)\ncount by (namespace) ({TICK}{{{ratd}}})"
            ),
            for_=leader_for,
            severity="warning",
            service="ratd",
            labels=DEPENDS_ON_RATD,
            condition="No scheduler leader",
            check=f"no ratd replica emits {TICK}",
            threshold=f"for {window(leader_for)} while ratd is up",
            summary="No ratd replica runs the scheduler",
            description=(
                f"{VALUE} ratd replica(s) in {{{{ $labels.namespace }}}} are up and none runs the "
                "scheduler: schedules and triggers do not fire."
            ),
            runbook=Runbook(
                "No replica holds the scheduler's advisory lock, or every replica runs with "
                "SCHEDULER_ENABLED=false: schedules, triggers and the reaper stop.",
                [
                    kubectl(settings, "get deploy -o yaml") + " | grep -A1 SCHEDULER_ENABLED: is any replica allowed?",
                    kubectl(settings, "logs -l app=ratd --tail 200 --prefix")
                    + " | grep -i leader: who tried to take the lock?",
                    "In Postgres: `select * from pg_locks where locktype = 'advisory'` for a stale holder.",
                ],
            ),
            scenarios=[
                Scenario(
                    "fires when the leader's metrics stop and no replica takes over",
                    {up_a: long, up_b: long, tick_a: "0.1 0.1 stale"},
                    at=(steps + 3) * step,
                    fires=[Firing(labels, 2)],
                ),
                Scenario(
                    "silent through a failover to another replica",
                    {up_a: long, up_b: long, tick_a: "0.1 0.1 stale", tick_b: f"_ _ _ _ 0.1x{steps + 2}"},
                    at=tuple(k * step for k in range(1, steps + 4)),
                ),
            ],
        ),
        Alert(
            name="RatSchedulerMultipleLeaders",
            expr=f"count by (namespace) ({ticking(f'{TICK}{{{ratd}}}', settings)}) > 1",
            for_=leader_for,
            severity="warning",
            service="ratd",
            labels=DEPENDS_ON_RATD,
            condition="More than one scheduler leader",
            check=f"ratd replicas whose {TICK} changes",
            threshold=f"> 1 for {window(leader_for)}",
            summary="More than one ratd replica runs the scheduler",
            description=(
                f"{VALUE} ratd replicas in {{{{ $labels.namespace }}}} run the scheduler: runs may be dispatched twice."
            ),
            runbook=Runbook(
                "Two replicas both believe they lead: the advisory lock is not shared (different "
                "databases or a connection pooler in transaction mode), so schedules fire twice.",
                [
                    kubectl(settings, "logs -l app=ratd --tail 200 --prefix") + " | grep -i leader: which pods lead?",
                    "Check that every replica's DATABASE_URL points at the same Postgres, without PgBouncer "
                    "transaction pooling (advisory locks need a session).",
                ],
            ),
            scenarios=[
                Scenario(
                    "fires while two replicas run the scheduler",
                    {
                        tick_a: " ".join(tick_values(steps + 6, settings)),
                        tick_b: " ".join(tick_values(steps + 6, settings, first=1)),
                    },
                    at=(steps + 4) * step,
                    fires=[Firing(labels, 2)],
                ),
                Scenario(
                    "silent through a failover (the old leader's gauges stay exposed, frozen)",
                    {tick_a: old_leader, tick_b: new_leader},
                    at=tuple(k * step for k in range(1, span)),
                ),
                Scenario(
                    "silent through a failover (the old leader's series ends)",
                    {tick_a: "0.1 0.2 0.3 stale", tick_b: "_ _ " + " ".join(tick_values(steps + 2, settings))},
                    at=tuple(k * step for k in range(1, steps + 4)),
                ),
            ],
        ),
    ]
