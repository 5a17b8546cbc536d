"""Documented bounds (docs/hardening.md, "Limits") on sizes that grow the work, each with its clear error,
and text that lands in the runbook's Markdown tables escaped."""

from __future__ import annotations

import pytest
from grafanalib import core

from alerts import profile_guide
from monitoring_as_code.dashboard import MAX_PANELS, Dashboard, datasource_variable, grid, ref
from monitoring_as_code.definitions import Definitions
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.loader import RuleGroup
from monitoring_as_code.model import MAX_SCENARIO_SAMPLES, MAX_SCENARIO_SPAN, Scenario, sample_count
from monitoring_as_code.render.runbook import render_runbook, table_cell
from monitoring_as_code.settings import Settings
from tests.conftest import example_alert


def _dashboard(panels: int) -> Dashboard:
    prometheus = datasource_variable("prometheus", "prometheus", "rat-prometheus", "Prometheus")
    stats = [
        core.Stat(
            id=i + 1,
            title=f"Up {i}",
            description="Up.",
            dataSource=ref(prometheus),
            targets=[core.Target(expr="up", refId="A")],
            format="none",
        )
        for i in range(panels)
    ]
    return Dashboard(
        uid="bounded-dashboard",
        title="Bounded",
        description="Many panels.",
        variables=[prometheus],
        panels=grid(*((4, [(24, stat)]) for stat in stats)),
    )


def test_panels_per_dashboard_are_bounded() -> None:
    assert len(_dashboard(MAX_PANELS).panels) == MAX_PANELS
    with pytest.raises(DefinitionError, match=f"{MAX_PANELS + 1} panels, more than {MAX_PANELS}; split it"):
        _dashboard(MAX_PANELS + 1)


def test_scenario_samples_are_bounded() -> None:
    assert sample_count("0+1x200 _ stale 1x3") == 201 + 1 + 1 + 4
    Scenario("at the bound", {"up": f"1x{MAX_SCENARIO_SAMPLES - 1}"}, at="1m")
    with pytest.raises(DefinitionError, match=f"{MAX_SCENARIO_SAMPLES + 1} samples, more than {MAX_SCENARIO_SAMPLES}"):
        Scenario("too long", {"up": f"1x{MAX_SCENARIO_SAMPLES}"}, at="1m")


def test_scenario_span_is_bounded() -> None:
    Scenario("at the bound", {"up": "1x4"}, at=MAX_SCENARIO_SPAN)
    with pytest.raises(DefinitionError, match="is later than 31 days"):
        Scenario("too late", {"up": "1x4"}, at=MAX_SCENARIO_SPAN + 1)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_durations_are_finite(value: float) -> None:
    with pytest.raises(DefinitionError, match="is not a finite number of seconds"):
        example_alert(for_=value)


def test_table_cells_are_escaped() -> None:
    assert table_cell("a | b\nc") == "a \\| b c"


def test_a_pipe_in_an_alert_keeps_the_runbook_table_whole(settings: Settings) -> None:
    alert = example_alert(condition="ratd | runner down", threshold="a|b", check="up\nor down")
    group = RuleGroup("example", "alerts/example.py", (), (alert,))
    (profile,) = profile_guide.define(settings)
    runbook = render_runbook(Definitions((group,), (), (), (), (), (), (profile,), profile), settings)
    row = next(line for line in runbook.splitlines() if line.startswith("| [RatExampleDown]"))
    cells = row.replace("\\|", "").split("|")
    assert len(cells) == 7  # five columns between the outer bars
    assert "ratd \\| runner down" in row and "up or down" in row
