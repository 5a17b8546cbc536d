"""The dashboard previews in generated/: one deterministic SVG per dashboard, parsed back before it
is written, drawing the scenarios' samples (the legend says so), linked from the runbook; and
`mac preview`'s bad input. Their layout in a real browser: tests/test_preview_browser.py."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from monitoring_as_code import pipeline
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs import SCENARIO_DATA
from monitoring_as_code.panels.svg import grid_box
from monitoring_as_code.preview_samples import ScenarioSamples, expanded
from monitoring_as_code.render.grafana import render_dashboard
from monitoring_as_code.render.preview import render_preview
from monitoring_as_code.validate.previews import check_preview, panel_groups
from tests.conftest import MacRunner, edit, profile_project

PREVIEWS = Path("grafana/previews")


@pytest.fixture(scope="module")
def bundle() -> pipeline.Bundle:
    root = profile_project()
    return pipeline.load(pipeline.Project(root, root / "monitoring.yaml"))


def test_promtool_values_notation_expands_as_promtool_does() -> None:
    assert expanded("0+1x3 5 _ stale 1x2 _x3 -2-1x2 1e3 5e-1+1e1x1") == (
        *(0.0, 1.0, 2.0, 3.0, 5.0),
        *(1.0, 1.0, 1.0),
        *(-2.0, -3.0, -4.0),
        1000.0,
        *(0.5, 10.5),
    )


def test_every_dashboard_has_a_preview_with_every_panel(bundle: pipeline.Bundle) -> None:
    generated = profile_project() / "generated"
    for dashboard in bundle.dashboards:
        svg = (generated / PREVIEWS / f"{dashboard.uid}.svg").read_text()
        _, groups = panel_groups(svg, dashboard.uid)
        assert [(g.get("data-panel-id"), g.get("data-title")) for g in groups] == [
            (str(p.id), p.title) for p in dashboard.panels
        ]
        assert f"Data: {SCENARIO_DATA}" in svg


def test_previews_are_deterministic_and_say_which_scenario_they_draw(bundle: pipeline.Bundle) -> None:
    dashboard = next(d for d in bundle.dashboards if d.uid == "rat-overview")
    first = render_preview(dashboard, ScenarioSamples(bundle.alerting).samples(dashboard), SCENARIO_DATA)
    again = render_preview(dashboard, ScenarioSamples(bundle.alerting).samples(dashboard), SCENARIO_DATA)
    assert first == again
    scenarios = {s.name for a in bundle.alerting.alerts for s in a.scenarios}
    named = re.findall(r"from promtool scenario \w+: (?:'([^'<]*)'|&quot;([^<]*?)&quot;)", first)
    assert named and {a or b for a, b in named} <= scenarios


def test_a_preview_that_does_not_match_its_dashboard_is_refused(bundle: pipeline.Bundle) -> None:
    dashboard = bundle.dashboards[0]
    data = render_dashboard(dashboard, bundle.settings)
    svg = render_preview(dashboard, ScenarioSamples(bundle.alerting).samples(dashboard), SCENARIO_DATA)
    check_preview("x.svg", svg, data)  # the near-miss: as rendered, it passes
    first = dashboard.panels[0]
    x, y, w, _ = grid_box(first.gridPos.x, first.gridPos.y, first.gridPos.w, first.gridPos.h)
    frame = f'<rect x="{x:g}" y="{y:g}" width="{w:g}"'
    assert frame in svg
    broken = {
        "not well-formed XML": svg.replace("</svg>", ""),
        "panels missing": svg.replace(f'data-panel-id="{first.id}"', 'data-panel-id="999"', 1),
        "is not drawn at its gridPos": svg.replace(frame, f'<rect x="{x + 1:g}" y="{y:g}" width="{w:g}"', 1),
        "is not the preview of dashboard": svg.replace(
            f'data-dashboard-uid="{dashboard.uid}"', 'data-dashboard-uid="x"'
        ),
    }
    for message, text in broken.items():
        with pytest.raises(DefinitionError, match=message):
            check_preview("x.svg", text, data)


def test_the_runbook_links_each_alert_to_a_preview_showing_it(bundle: pipeline.Bundle) -> None:
    generated = profile_project() / "generated"
    runbook = (generated / "docs" / "alerts.md").read_text()
    links = re.findall(r"\*\*Dashboard:\*\* \[(.+?), panel '(.+?)'\]\((\.\./grafana/previews/[\w-]+\.svg)\)", runbook)
    assert len(links) == len(bundle.alerting.alerts)
    for title, panel, target in links:
        svg = (generated / "docs" / target).resolve().read_text()
        assert f'data-title="{panel}"' in svg and title in svg


def test_previews_can_be_turned_off(project: Path, mac: MacRunner) -> None:
    edit(project / "monitoring.yaml", "\ngrafana:\n", "\ngrafana:\n  previews: false\n")
    result = mac(project, "generate")
    assert result.exit_code == 0, result.output
    assert not (project / "generated" / PREVIEWS).exists()
    assert "**Dashboard:**" not in (project / "generated" / "docs" / "alerts.md").read_text()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_prometheus_that_does_not_answer_is_one_line_and_exit_2(project: Path, mac: MacRunner) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = mac(project, "preview", "--prometheus-url", url, "--out", str(project / "live"))
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and url in result.output and "cannot ask Prometheus" in result.output
    assert not (project / "live").exists()
