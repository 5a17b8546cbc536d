"""RAT SLOs (`rat-slos`): for each SLO of the profile, its objective, the SLI over the compliance
window, the error budget left, the burn rate over every alert window against the alerts'
thresholds, and how long the budget lasts at the current burn. It reads the SLO recording rules
(slos/, expanded by monitoring_as_code/slo.py), so it shows exactly what the alerts judge."""

from __future__ import annotations

from pathlib import Path

from grafanalib import core

from alerts._shared import num as _num
from dashboards._shared import RAT_DASHBOARDS, RAT_TAG, prometheus_variable, query
from monitoring_as_code.dashboard import Dashboard, grid, ref
from monitoring_as_code.duration import format_duration
from monitoring_as_code.loader import load_slos
from monitoring_as_code.settings import Settings
from monitoring_as_code.slo import SLO

SLOS = Path(__file__).resolve().parents[1] / "slos"
# Colours of the burn-rate lines: a ticket's thresholds, then a page's.
TICKET_COLOUR, PAGE_COLOUR = "orange", "red"


def current_burn(slo: SLO) -> str:
    """The burn rate the time to exhaustion assumes: over the fastest page's long window."""
    window = min(b.long for b in slo.page) if slo.page else min(slo.windows)
    return f"({slo.error_ratio(window)} / {_num(slo.budget)})"


def _row(slo: SLO, first_id: int, metrics: dict[str, str]) -> list[tuple[int, object]]:
    window = format_duration(slo.compliance_window)
    budget_percent = _num(100 * slo.budget)
    objective = core.Stat(
        id=first_id,
        title=f"{slo.name}: objective",
        description=f"{slo.description} Promised for {_num(slo.objective)}% of the events over {window}.",
        dataSource=metrics,
        targets=[query(f"vector({_num(slo.objective)})", "objective", instant=True)],
        format="percent",
        reduceCalc="lastNotNull",
        colorMode="none",
        graphMode="none",
    )
    sli = core.Stat(
        id=first_id + 1,
        title=f"{slo.name}: SLI over {window}",
        description=f"The share of good events over the last {window} ({slo.sli.text}); red below the objective.",
        dataSource=metrics,
        targets=[query(f"100 * (1 - {slo.error_ratio(slo.compliance_window)})", "SLI", instant=True)],
        format="percent",
        decimals=3,
        reduceCalc="lastNotNull",
        thresholds=[core.Threshold("red", 0, 0.0), core.Threshold("green", 1, float(slo.objective))],
        colorMode="value",
        graphMode="area",
    )
    remaining = core.Stat(
        id=first_id + 2,
        title=f"{slo.name}: error budget remaining",
        description=(
            f"The share of the error budget ({budget_percent}% of the events over {window}) not yet spent; "
            "red below 0: the objective is missed."
        ),
        dataSource=metrics,
        targets=[query(f"100 * {slo.budget_remaining}", "remaining", instant=True)],
        format="percent",
        decimals=1,
        reduceCalc="lastNotNull",
        thresholds=[core.Threshold("red", 0, 0.0), core.Threshold("green", 1, 0.0)],
        colorMode="background",
        graphMode="area",
    )
    burn = current_burn(slo)
    exhaustion = core.Stat(
        id=first_id + 3,
        title=f"{slo.name}: time to exhaustion",
        description=(
            "How long the budget left lasts at the current burn rate (over the fastest page's long "
            "window): remaining x compliance window / burn rate. Infinite while nothing fails."
        ),
        dataSource=metrics,
        targets=[
            query(
                f"clamp_min({slo.budget_remaining}, 0) * {_num(slo.compliance_window)} / {burn}",
                "time to exhaustion",
                instant=True,
            )
        ],
        format="s",
        reduceCalc="lastNotNull",
        thresholds=[core.Threshold("red", 0, 0.0), core.Threshold("green", 1, float(slo.compliance_window))],
        colorMode="value",
        graphMode="none",
    )
    steps = sorted(
        {(b.burn_rate, TICKET_COLOUR) for b in slo.ticket} | {(b.burn_rate, PAGE_COLOUR) for b in slo.page},
    )
    rates = core.TimeSeries(
        id=first_id + 4,
        title=f"{slo.name}: burn rate per alert window",
        description=(
            "The error ratio over each alert window divided by the error budget: 1 spends the budget exactly "
            "over the compliance window. Lines: the thresholds of the ticket ("
            + ", ".join(b.text for b in slo.ticket)
            + ") and the page ("
            + ", ".join(b.text for b in slo.page)
            + "); an alert fires while both of its windows are above its line."
        ),
        dataSource=metrics,
        targets=[
            query(f"{slo.error_ratio(w)} / {_num(slo.budget)}", format_duration(w), ref_id=chr(ord("A") + i))
            for i, w in enumerate(w for w in slo.windows if w != slo.compliance_window)
        ],
        unit="short",
        thresholds=[
            core.Threshold("green", 0, 0.0),
            *(core.Threshold(colour, i + 1, float(rate)) for i, (rate, colour) in enumerate(steps)),
        ],
        thresholdsStyleMode="line",
    )
    return [(3, objective), (4, sli), (4, remaining), (4, exhaustion), (9, rates)]


def define(settings: Settings) -> list[Dashboard]:
    slos = [slo for _, slo in load_slos(SLOS, settings, None)]
    if not slos:
        return []
    prometheus = prometheus_variable(settings)
    metrics = ref(prometheus)
    rows = [(7, _row(slo, 1 + 10 * index, metrics)) for index, slo in enumerate(slos)]
    return [
        Dashboard(
            uid="rat-slos",  # the rat-slo; dashboard uids have at least 8 characters
            title="RAT SLOs",
            description=(
                "Service level objectives of RAT: objective, SLI over the compliance window, error budget left, "
                "burn rate per alert window, and time to exhaustion."
            ),
            tags=[RAT_TAG],
            links=[RAT_DASHBOARDS],
            variables=[prometheus],
            panels=grid(*rows),
        )
    ]
