"""ratd 0.2's own metrics (ratd-0.2 profile): the Postgres pool, plugins, the scheduler, memory
and SSE connections, as the current guide's alert tables list them. ratd serves them all, so
while ratd is down they are muted (depends_on) behind RatApiDown.

Pool, plugin, scheduler and SSE metrics exist only while that subsystem is active; an absent
series yields no sample, so these alerts stay silent rather than alarm about an idle subsystem.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType

from alerts._shared import (
    BY_JOB,
    DEPENDS_ON_RATD,
    PACES,
    PERCENT,
    RATD_JOB,
    VALUE,
    baseline_is_complete,
    baseline_timing,
    num,
    pace,
    window,
)
from alerts.profile_ratd_0_2 import RATD_0_2
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import Alert, Firing, RecordingRule, Runbook, Scenario
from monitoring_as_code.settings import Settings

PROFILES = (RATD_0_2,)
RATD = f'job="{RATD_JOB}"'
JOB = {"job": RATD_JOB}
DISPATCHED = "ratd_scheduler_last_tick_dispatched_total"
# RAT's pool sizes (platform/internal/postgres/conn.go): DB_MIN_CONNS' default, and the heartbeat
# pool's cap, pinned at one connection (MaxConns = MinConns = 1).
RAT_MIN_CONNS = 5
HEARTBEAT_POOL_CAP = 1
# Memory growth reads the floor (minimum) of each metric over a window: a garbage collector's
# sawtooth returns to the same floor, a leak raises it.
GROWING = ("ratd_memory_alloc_bytes", "ratd_goroutines")


def dispatch_average(settings: Settings) -> str:
    return f"job:ratd_scheduler_last_tick_dispatched:avg_over_time{window(settings.windows.scheduler_rate)}"


def dispatched_per_tick(over: float) -> str:
    """What the scheduler dispatched per tick, on average over `over`. On a cluster only the leader
    emits it: samples are summed and counted across every replica, so a failover (another pod's
    series) is no change of rate, and a window spanning two leaders still averages their ticks.
    Compose's one ratd is the same average."""
    selector = f"{DISPATCHED}{{{RATD}}}[{window(over)}]"
    return f"sum by ({BY_JOB}) (sum_over_time({selector}))\n/ sum by ({BY_JOB}) (count_over_time({selector}))"


def floor_growth(metric: str, settings: Settings) -> str:
    """The metric's floor over the last window divided by its floor over the window before."""
    w = window(settings.windows.memory_growth)
    selector = f"{metric}{{{RATD}}}[{w}]"
    ratio = f"min_over_time({selector})\n  / min_over_time({selector} offset {w})"
    return f'label_replace(\n  {ratio},\n  "metric", "{metric}", "", ""\n)'


def define(settings: Settings) -> list[Alert | RecordingRule]:
    t, w = settings.thresholds, settings.windows
    factor = num(t.scheduler_rate_change_factor)
    dispatched = dispatch_average(settings)
    # The same window a season (a day) before: a cron workload repeats daily, so an hourly or a
    # daily schedule meets itself there, where against an average of hours it spikes and drops.
    ratio = f"{dispatched}\n  / ({dispatched} offset {window(w.scheduler_season)})"
    sse = f"ratd_sse_connections_active{{{RATD}}}"
    return [
        RecordingRule(dispatched, dispatched_per_tick(w.scheduler_rate)),
        _pool_saturated(
            name="RatPostgresPoolSaturated",
            pool="main",
            condition="Postgres pool saturated",  # the guide's row
            prefix="ratd_postgres_pool",
            cap=settings.ratd.db_max_conns,
            cap_is=f"DB_MAX_CONNS ({settings.ratd.db_max_conns})",
            where_set=(
                "The cap is `ratd.db_max_conns` in monitoring.yaml (RAT's default 25): if you change "
                "DB_MAX_CONNS on ratd, set it there to the same number and run `make generate`."
            ),
            severity="critical",
            meaning=(
                "ratd's main Postgres pool is near its cap (DB_MAX_CONNS): requests, the scheduler and run "
                "bookkeeping wait for a connection and time out."
            ),
            settings=settings,
        ),
        _pool_saturated(
            name="RatPostgresHeartbeatPoolSaturated",
            pool="heartbeat",
            condition="Postgres heartbeat pool saturated",
            prefix="ratd_postgres_heartbeat_pool",
            cap=HEARTBEAT_POOL_CAP,
            cap_is="its one connection",
            where_set=(
                "ratd pins this pool at one connection (no setting). RAT_HEARTBEAT_POOL_ENABLED=false moves "
                "the heartbeat onto the main pool, and this alert then has no series."
            ),
            severity="warning",
            meaning=(
                "The leader's heartbeat ping (every 5s, on its own one-connection pool) holds its connection "
                "for minutes: Postgres does not answer it, and the leader will step down and leadership "
                "ping-pong between replicas."
            ),
            settings=settings,
        ),
        Alert(
            name="RatPluginsUnhealthy",
            expr=f"ratd_plugins_total{{{RATD}}} - ratd_plugins_healthy{{{RATD}}} > 0",
            for_=t.plugins_unhealthy_for,
            severity="warning",
            service="ratd",
            labels=DEPENDS_ON_RATD,
            condition="Plugins unhealthy",
            check="ratd_plugins_total - ratd_plugins_healthy",
            threshold=f"> 0 for {window(t.plugins_unhealthy_for)}",
            summary="ratd has unhealthy plugins",
            description=f"{VALUE} of ratd's registered plugins are not enabled.",
            runbook=Runbook(
                "A registered plugin is not healthy (not enabled): the features it provides fail.",
                [
                    "Plugin Health panel: how many, since when?",
                    "ratd's logs: `plugin` lines say which plugin failed its phone-home and why.",
                    "Check the plugin's own container and its reachability to ratd's internal listener (8090).",
                ],
            ),
            scenarios=_sustained_scenarios(
                {"ratd_plugins_total": ("3", "3"), "ratd_plugins_healthy": ("2", "3")},
                t.plugins_unhealthy_for,
                settings,
                firing_value=1.0,
                below={"ratd_plugins_total": "3", "ratd_plugins_healthy": "3"},
            ),
        ),
        Alert(
            name="RatSchedulerSlowTicks",
            expr=f"ratd_scheduler_last_tick_duration_seconds{{{RATD}}} > {num(t.scheduler_tick_seconds)}",
            for_=t.scheduler_tick_for,
            severity="warning",
            service="ratd",
            labels=DEPENDS_ON_RATD,
            condition="Slow scheduler ticks",
            check="ratd_scheduler_last_tick_duration_seconds",
            threshold=f"> {num(t.scheduler_tick_seconds)}s for {window(t.scheduler_tick_for)}",
            summary="ratd's scheduler ticks are slow",
            description='ratd\'s last scheduler tick took {{ $value | printf "%.2f" }}s.',
            runbook=Runbook(
                "The scheduler takes seconds per tick: schedules fire late. Usually a slow Postgres "
                "(the pool, locks) or very many schedules.",
                [
                    "Scheduler Tick Duration and Postgres Pool Saturation panels, side by side.",
                    "ratd's logs: `scheduler tick` lines show how many schedules each tick evaluates.",
                ],
            ),
            scenarios=_sustained_scenarios(
                {"ratd_scheduler_last_tick_duration_seconds": (num(2 * t.scheduler_tick_seconds), "0.1")},
                t.scheduler_tick_for,
                settings,
                firing_value=2 * t.scheduler_tick_seconds,
                below={"ratd_scheduler_last_tick_duration_seconds": num(t.scheduler_tick_seconds)},
            ),
        ),
        Alert(
            name="RatMemoryGrowth",
            expr="\nor\n".join(f"{floor_growth(m, settings)} > {num(t.memory_growth_factor)}" for m in GROWING),
            for_=t.memory_growth_for,
            severity="warning",
            service="ratd",
            labels=DEPENDS_ON_RATD,
            condition="Memory growth",
            check="ratd_memory_alloc_bytes / ratd_goroutines",
            threshold=(
                f"floor over {window(w.memory_growth)} > {num(t.memory_growth_factor)}x the {window(w.memory_growth)} "
                f"before, for {window(t.memory_growth_for)}"
            ),
            summary="ratd's memory or goroutines keep growing",
            description=(
                f"The floor of {{{{ $labels.metric }}}} over the last {window(w.memory_growth)} is {VALUE}x "
                "the one before: a leak, not a garbage-collection sawtooth."
            ),
            runbook=Runbook(
                "ratd's heap or goroutine count rises window after window, even at its lowest points: "
                "something leaks (stuck SSE streams, goroutines waiting forever, a growing cache). "
                "Left alone, ratd reaches its memory limit and is killed.",
                [
                    "Goroutines and Heap Allocated panels over the last day: steady climb or a step?",
                    "Active SSE Connections: do streams pile up with the goroutines?",
                    "Restart ratd in a quiet moment to buy time; report the trend with ratd's version.",
                ],
            ),
            scenarios=_growth_scenarios(settings),
        ),
        Alert(
            name="RatSchedulerDispatchRateChange",
            # A NaN ratio (nothing dispatched in either window) compares false: an idle scheduler is quiet.
            expr=(
                f"(\n  {ratio} > {factor}\nor\n  {ratio} < 1 / {factor}\n)\n"
                + baseline_is_complete(f"{DISPATCHED}{{{RATD}}}", w.scheduler_season, settings)
            ),
            for_=t.scheduler_rate_for,
            severity="info",
            service="ratd",
            condition="Scheduler dispatch rate",
            check=DISPATCHED,
            threshold=(
                f"{window(w.scheduler_rate)} average beyond {factor}x or 1/{factor} of the same "
                f"{window(w.scheduler_rate)} {window(w.scheduler_season)} before"
            ),
            summary="RAT scheduler dispatch rate changed suddenly",
            description=(
                f"The scheduler dispatches {VALUE}x per tick what it dispatched in the same "
                f"{window(w.scheduler_rate)} {window(w.scheduler_season)} before."
            ),
            runbook=Runbook(
                "The scheduler dispatches far more or far fewer schedules per tick than at this time "
                f"{window(w.scheduler_season)} before: a schedule was added or removed, or dispatching "
                "stalls (a stopped scheduler is RatSchedulerStalled). Steady cron workloads (every minute, "
                "hourly, daily) repeat daily and stay silent; weekly or monthly ones do not repeat daily "
                "and fire on their day.",
                [
                    "ratd's logs: `scheduler tick` lines show evaluated and triggered counts.",
                    "Was a schedule changed recently? If not and the rate dropped, check the runner and ratd.",
                ],
            ),
            scenarios=_dispatch_scenarios(settings),
        ),
        Alert(
            name="RatSseConnectionSpike",
            expr=(
                f"{sse} > {num(t.sse_spike_factor)} * avg_over_time({sse}[{window(w.sse_baseline)}])\n"
                f"and {sse} > {t.sse_spike_min_connections}\n" + baseline_is_complete(sse, w.sse_baseline, settings)
            ),
            for_=t.sse_spike_for,
            severity="info",
            service="ratd",
            condition="SSE connections",
            check="ratd_sse_connections_active",
            threshold=(
                f"{num(t.sse_spike_factor)}x the {window(w.sse_baseline)} average "
                f"(and > {t.sse_spike_min_connections} connections)"
            ),
            summary="Unusual spike in ratd's SSE connections",
            description=(
                f"ratd holds {VALUE} log-stream (SSE) connections, more than {num(t.sse_spike_factor)}x its "
                f"{window(w.sse_baseline)} average."
            ),
            runbook=Runbook(
                "Many more log streams are open than usual: many users watching runs, or clients that "
                "reconnect without closing (each holds a goroutine and memory in ratd).",
                [
                    "Active SSE Connections and Goroutines panels: do both climb?",
                    "ratd's logs: which clients open the streams?",
                ],
            ),
            scenarios=_sse_scenarios(settings),
        ),
    ]


def _pool_saturated(
    *,
    name: str,
    pool: str,
    condition: str,
    prefix: str,
    cap: int,
    cap_is: str,
    where_set: str,
    severity: str,
    meaning: str,
    settings: Settings,
) -> Alert:
    """Acquired connections against the pool's cap. Not RAT's guide formula (acquired / total): ratd's
    `_total` is pgxpool's TotalConns(), the connections open now, so with DB_MIN_CONNS (5) open and
    in use it read 100% while 20 more could still be opened."""
    t = settings.thresholds
    ratio = t.postgres_pool_saturation_ratio
    acquired, total = f"{prefix}_acquired", f"{prefix}_total"
    firing = math.ceil(ratio * cap)  # the fewest whole connections the alert fires at
    # RAT opens DB_MIN_CONNS (5) at start: all of them in use says nothing while the cap is far.
    held_open = {acquired: str(RAT_MIN_CONNS), total: str(RAT_MIN_CONNS)}
    held_open_name = f"silent at {RAT_MIN_CONNS} of {RAT_MIN_CONNS} open connections in use (the cap is {cap})"
    scenarios = _sustained_scenarios(
        {acquired: (str(firing), "0"), total: (str(cap), str(min(RAT_MIN_CONNS, cap)))},
        t.postgres_pool_saturation_for,
        settings,
        firing_value=firing / cap,
        below={acquired: _just_below(ratio * cap), total: str(cap)},
        firing=f"fires at {firing} of {cap} connections held past its `for`",
        also_silent={held_open_name: held_open} if RAT_MIN_CONNS / cap < ratio else {},
    )
    return Alert(
        name=name,
        expr=f"{acquired}{{{RATD}}} / {cap}\n>= {num(ratio)}",
        for_=t.postgres_pool_saturation_for,
        severity=severity,
        service="ratd",
        labels=DEPENDS_ON_RATD,
        condition=condition,
        check=f"{acquired} / {cap} (the pool's cap)",
        threshold=f">= {num(ratio)} for {window(t.postgres_pool_saturation_for)}",
        summary=f"ratd's {pool} Postgres pool is near its cap",
        description=f"ratd holds {PERCENT} of its {pool} Postgres pool's cap, {cap_is}.",
        runbook=Runbook(
            meaning,
            [
                "Postgres Pool Saturation panel: sudden, or climbing for a while?",
                "`docker compose -f infra/docker-compose.yml exec postgres psql -U rat -c "
                "'select application_name, state, count(*) from pg_stat_activity group by 1, 2'` for "
                "idle-in-transaction or long queries (the heartbeat's connection is `ratd-heartbeat`).",
                "ratd's logs around the start for slow queries; restart ratd if connections leaked.",
                where_set,
            ],
        ),
        scenarios=scenarios,
    )


def _just_below(value: float) -> str:
    """The largest whole count strictly below `value` (a pool holds whole connections)."""
    whole = int(value)
    return num(whole - 1 if whole == value else whole)


def _sustained_scenarios(
    series: dict[str, tuple[str, str]],
    for_: float,
    settings: Settings,
    *,
    firing_value: float,
    below: dict[str, str],
    firing: str = "fires when the condition holds past its `for`",
    also_silent: Mapping[str, Mapping[str, str]] = MappingProxyType({}),
) -> list[Scenario]:
    """A gauge condition held past `for` fires; held just below the threshold it does not; held
    for less than `for` it does not. `series` maps a metric to (bad value, good value); `below`
    to the near-miss value; `also_silent` names further values held as long that must not fire."""
    step = pace(for_ + 4 * settings.intervals.scrape, settings)
    samples = int(for_ // step) + 4
    at = (samples - 1) * step

    def selector(metric: str) -> str:
        return f"{metric}{{{RATD}}}"

    out = [
        Scenario(
            firing,
            {selector(m): f"{bad}x{samples}" for m, (bad, _) in series.items()},
            at=at,
            interval=step,
            evaluation_interval=step,
            fires=[Firing(JOB, firing_value)],
        ),
        Scenario(
            "silent just below the threshold",
            {selector(m): f"{v}x{samples}" for m, v in below.items()},
            at=at,
            interval=step,
            evaluation_interval=step,
        ),
    ]
    out += [
        Scenario(
            name,
            {selector(m): f"{v}x{samples}" for m, v in held.items()},
            at=at,
            interval=step,
            evaluation_interval=step,
        )
        for name, held in also_silent.items()
    ]
    short = int(for_ // step) - 1  # bad samples that span less than `for`
    if short >= 1:
        out.append(
            Scenario(
                "silent when the condition lasts less than its `for`",
                {
                    selector(m): " ".join([good] * 2 + [bad] * short + [good] * (samples - 2 - short))
                    for m, (bad, good) in series.items()
                },
                at=tuple(k * step for k in range(2, samples)),
                interval=step,
                evaluation_interval=step,
            )
        )
    return out


def _growth_scenarios(settings: Settings) -> list[Scenario]:
    """Twelve samples per window, the metric in a three-sample sawtooth (the garbage collector).
    A leak multiplies the sawtooth's floor by `g` every cycle, so every window's floor is g**4 times
    the one before, whichever window edge a Prometheus version includes."""
    t, w = settings.thresholds, settings.windows.memory_growth
    step = max(settings.intervals.evaluation, w / 12)
    samples = 24 + int(t.memory_growth_for // step) + 4
    at = (samples - 1) * step
    base = {"ratd_memory_alloc_bytes": 50e6, "ratd_goroutines": 40.0}

    def values(metric: str, growth_per_window: float) -> str:
        g = growth_per_window ** (1 / 4)
        return " ".join(f"{base[metric] * g ** (k // 3) * (1, 1.5, 2)[k % 3]:.6g}" for k in range(samples))

    def scenario(name: str, growth: dict[str, float], fires: list[Firing]) -> Scenario:
        series = {f"{m}{{{RATD}}}": values(m, growth.get(m, 1.0)) for m in GROWING}
        return Scenario(name, series, at=at, interval=step, fires=fires)

    leak = 2 * t.memory_growth_factor
    return [
        scenario(
            "fires when the heap's floor keeps rising",
            {"ratd_memory_alloc_bytes": leak},
            [Firing({**JOB, "metric": "ratd_memory_alloc_bytes"}, leak)],
        ),
        scenario(
            "fires when goroutines keep piling up",
            {"ratd_goroutines": leak},
            [Firing({**JOB, "metric": "ratd_goroutines"}, leak)],
        ),
        scenario("silent on a healthy garbage-collection sawtooth", {}, []),
        scenario(
            "silent on growth below the factor",
            {"ratd_memory_alloc_bytes": (1 + t.memory_growth_factor) / 2},
            [],
        ),
    ]


# Cron workloads as (name, period, first run) in seconds: each fires at first + k * period.
CRON_WORKLOADS = (
    ("every minute", 60.0, 0.0),
    ("hourly", 3600.0, 0.0),
    ("daily at 02:00", 86400.0, 7200.0),
)
TICK_PHASE = 7.0  # ratd's ticker starts when ratd does: its ticks fall between the cron's minutes
DAY = 86400.0


def rat_of(workload: str) -> str:
    """The namespace of the RAT that runs `workload` in the dispatch scenarios."""
    return re.sub(r"[^a-z0-9]+", "-", workload).strip("-")


def _dispatched(
    period: float, first: float, per_run: float, start: int, samples: int, step: float, tick: float
) -> list[str]:
    """The dispatched gauge as scrapes every `step` see it: each tick reports what it dispatched,
    `per_run` when a cron run fell due since the tick before, else 0 (ratd's scheduler fires a due
    schedule at its next tick)."""
    values = []
    for k in range(start, start + samples):
        last = math.floor((k * step - TICK_PHASE) / tick)  # the latest tick by then
        latest, before = last * tick + TICK_PHASE, (last - 1) * tick + TICK_PHASE
        due = first + math.floor((latest - first) / period) * period  # the latest cron run by then
        values.append(num(per_run) if last >= 1 and due > before else "0")
    return values


def _compact(values: list[str]) -> str:
    """promtool's values notation, runs written as `vxN` (N + 1 samples)."""
    out: list[str] = []
    k = 0
    while k < len(values):
        run = 1
        while k + run < len(values) and values[k + run] == values[k]:
            run += 1
        out.append(values[k] if run == 1 else f"{values[k]}x{run - 1}")
        k += run
    return " ".join(out)


def _dispatch_scenarios(settings: Settings) -> list[Scenario]:
    """Cron workloads through a whole day after a season of history: nothing fires, checked at
    every evaluation; and, on an every-minute workload, a stop and a rise past the factor fire, a
    rise below it does not, nor anything while the season before is still filling.

    The rule judges each (namespace, job) on its own, as two RATs on one cluster are: so each
    scenario runs its workloads side by side, each in a RAT (namespace) of its own, and promtool
    steps through the two days once for all of them rather than once per workload."""
    t, w = settings.thresholds, settings.windows
    tick = settings.ratd.scheduler_tick
    history = w.scheduler_season + w.scheduler_rate
    span = history + DAY
    step = max(settings.intervals.scrape, tick)
    step = next((p for p in (step, *PACES) if p >= step and span / p <= 9000), max(PACES))
    every = step * max(1, round(min(300.0, w.scheduler_rate / 3) / step))
    start = math.ceil(history / every)  # the first evaluation with a whole season behind it
    judged = tuple(k * every for k in range(start, start + round(DAY / every)))
    samples = round((judged[-1] + every) / step) + 1
    timing = {"interval": step, "evaluation_interval": every}

    def series(rat: str) -> str:
        return f'{DISPATCHED}{{{RATD},namespace="{rat}"}}'

    def workload(per_run: float, begin: int, count: int, period: float = 60.0, first: float = 0.0) -> list[str]:
        return _dispatched(period, first, per_run, begin, count, step, tick)

    out = [
        Scenario(
            f"silent for a day on steady cron workloads, {', '.join(n for n, _, _ in CRON_WORKLOADS)} (a RAT each)",
            {
                series(rat_of(name)): _compact(workload(1, 0, samples, period, first))
                for name, period, first in CRON_WORKLOADS
            },
            at=judged,
            **timing,
        )
    ]
    # The change: after a season of history; judged once the rate window and `for` have passed.
    change = math.ceil(history / step)
    held = w.scheduler_rate + t.scheduler_rate_for + 2 * every
    at = math.ceil((change * step + held) / every) * every
    tail = round(at / step) + 1 - change
    factor = t.scheduler_rate_change_factor
    # Each change in a RAT of its own: (its namespace, what each run then dispatches, fires).
    changes = (
        ("stops", 0.0, True),
        (f"rises-past-{num(factor)}x", 2 * factor, True),
        ("rises-below-the-factor", (factor + 1) / 2, False),
    )
    out += [
        Scenario(
            f"a stop and a rise past {num(factor)}x fire, a rise below it does not (a RAT each)",
            {
                series(rat): _compact(workload(1, 0, change) + workload(per_run, change, tail))
                for rat, per_run, _ in changes
            },
            at=at,
            fires=[Firing({**JOB, "namespace": rat}, per_run) for rat, per_run, fires in changes if fires],
            **timing,
        ),
        Scenario(
            "silent while the season before is still filling",
            {
                f"{DISPATCHED}{{{RATD}}}": _compact(
                    workload(1, 0, round(w.scheduler_season / (2 * step))) + ["0"] * tail
                )
            },
            at=tuple(k * every for k in range(1, round((w.scheduler_season / 2 + held) / every))),
            **timing,
        ),
    ]
    return out


def _sse_scenarios(settings: Settings) -> list[Scenario]:
    """A steady number of streams over the baseline, then a jump past the factor (fires) or to
    it (silent). The jump lifts the average it is compared with, so it is sized to stay above
    `factor` times that average (twice what it takes)."""
    t = settings.thresholds
    factor = t.sse_spike_factor
    timing = baseline_timing(
        settings.windows.sse_baseline,
        # `for`, plus one step for the pending state to start and one for `for` to end.
        lambda every: t.sse_spike_for + 2 * every,
        # x > factor * average can no longer hold once the jump fills 1/factor of the baseline.
        lambda tail, steady: factor * tail < steady,
        settings,
        finest=settings.intervals.scrape,
        evaluations=60.0,
    )
    if timing is None:
        raise DefinitionError(
            f"a sustained jump fills 1/{num(factor)} of windows.sse_baseline before RatSseConnectionSpike could "
            "fire (after thresholds.sse_spike_for): lengthen the baseline or shorten that",
            obj="settings thresholds.sse_spike_factor",
            file=settings.source,
        )
    series = f"ratd_sse_connections_active{{{RATD}}}"
    steady, tail = timing.steady, timing.tail
    held = tail / steady  # the share of the baseline the jump fills when judged
    base = max(1, t.sse_spike_min_connections)
    big = math.ceil(2 * factor * base * (1 - held) / (1 - factor * held)) + 1
    return [
        Scenario(
            "fires on a sustained jump",
            {series: f"{base}x{steady} {big}x{tail}"},
            at=timing.at * timing.step,
            fires=[Firing(JOB, big)],
            **timing.timing,
        ),
        # The jump lifts the baseline's average too, so exactly `factor` times the old level stays below.
        Scenario(
            "silent on a jump to the factor",
            {series: f"{base}x{steady} {num(base * factor)}x{tail}"},
            at=timing.at * timing.step,
            **timing.timing,
        ),
        Scenario(
            "silent while the baseline window is still filling",
            {series: f"{base}x{timing.filling} {big}x{tail}"},
            at=timing.filling_at * timing.step,
            **timing.timing,
        ),
    ]
