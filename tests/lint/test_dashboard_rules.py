"""Each dashboard lint rule: one dashboard that breaks it, one that keeps it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attr
import attrs
import pytest
import yaml
from grafanalib import core

from dashboards._shared import loki_variable, prometheus_variable, query
from monitoring_as_code.dashboard import Dashboard, grid, ref
from monitoring_as_code.lint.context import LintContext, build_context
from monitoring_as_code.lint.run import lint_objects
from monitoring_as_code.settings import Settings
from tests.conftest import GUIDE_CATALOG, MacRunner


@pytest.fixture(scope="module")
def context(settings: Settings) -> LintContext:
    return build_context(settings, GUIDE_CATALOG, [])


def dashboard(settings: Settings, *, panel: dict[str, Any] | None = None, **overrides: Any) -> Dashboard:
    prometheus, loki = prometheus_variable(settings), loki_variable(settings)
    rate = core.TimeSeries(
        id=1,
        title="Request Rate",
        description="Requests per second.",
        dataSource=ref(prometheus),
        targets=[query('sum by (status) (rate(ratd_http_requests_total{job="ratd"}[$__rate_interval]))')],
        unit="reqps",
    )
    logs = core.Logs(
        id=2,
        title="Errors",
        description="ratd's errors.",
        dataSource=ref(loki),
        targets=[query('{compose_service="ratd"} |= "ERROR"')],
    )
    if panel:
        rate = attr.evolve(rate, **panel)
    fields: dict[str, Any] = {
        "uid": "lint-example",
        "title": "Example",
        "description": "An example.",
        "variables": [prometheus, loki],
        "panels": grid((8, [(12, rate), (12, logs)])),
    }
    return Dashboard(**{**fields, **overrides})


def problems(board: Dashboard, context: LintContext, rule_id: str) -> list[str]:
    return [p.message for p in lint_objects([("dashboards/x.py", board)], context) if p.rule == rule_id]


def expr(text: str) -> dict[str, Any]:
    return {"targets": [query(text)]}


CASES = [
    ("dashboard-title", {"description": ""}, "description is missing"),
    ("panel-title", {"panel": {"description": ""}}, "panel 1 'Request Rate': description is missing"),
    ("panel-unit", {"panel": {"unit": ""}}, "unit is missing"),
    ("panel-targets", {"panel": {"targets": []}}, "has no query"),
    ("panel-rate-interval", {"panel": expr("rate(ratd_http_requests_total[5m])")}, "[5m] is fixed"),
    # A regex's character class is no window: the tree finds the real one.
    (
        "panel-rate-interval",
        {"panel": expr('rate(ratd_http_requests_total{path=~"/v[0-9]+"}[2m])')},
        "[2m] is fixed",
    ),
    ("promql-unknown-metric", {"panel": expr("ratd_requests")}, "metric 'ratd_requests' is not in the catalog"),
    ("promql-unknown-label", {"panel": expr('sum by (code) (ratd_active_runs{job="ratd"})')}, "label 'code'"),
    ("promql-raw-counter", {"panel": expr("ratd_pipeline_runs_total")}, "counter ratd_pipeline_runs_total"),
    ("promql-rate-window", {"panel": expr("rate(ratd_http_requests_total[$__interval])")}, "shorter than 4x"),
    (
        "dashboard-datasource-variable",
        {"panel": {"dataSource": {"type": "prometheus", "uid": "rat-prometheus"}}},
        "fixed uid 'rat-prometheus'",
    ),
]


@pytest.mark.parametrize(("rule_id", "overrides", "message"), CASES, ids=[f"{c[0]}:{c[2][:20]}" for c in CASES])
def test_rule_flags_the_broken_dashboard(
    settings: Settings, context: LintContext, rule_id: str, overrides: dict, message: str
) -> None:
    found = problems(dashboard(settings, **overrides), context, rule_id)
    assert any(message in m for m in found), found


@pytest.mark.parametrize(
    "rule_id",
    sorted(
        {c[0] for c in CASES}
        | {"dashboard-grid", "dashboard-datasource-provisioned", "panel-loki-labels", "promql-quantile-buckets"}
    ),
)
def test_rule_passes_the_good_dashboard(settings: Settings, context: LintContext, rule_id: str) -> None:
    assert problems(dashboard(settings), context, rule_id) == []


def test_overlapping_panels(settings: Settings, context: LintContext) -> None:
    board = dashboard(settings)
    first, second = board.panels
    moved = attr.evolve(second, gridPos=core.GridPos(h=8, w=12, x=6, y=0))
    found = problems(attr.evolve(board, panels=[first, moved]), context, "dashboard-grid")
    assert found == ["panel 2 'Errors' overlaps panel 1 'Request Rate'"]


def test_panel_wider_than_the_grid(settings: Settings, context: LintContext) -> None:
    board = dashboard(settings)
    first, second = board.panels
    wide = attr.evolve(second, gridPos=core.GridPos(h=8, w=16, x=12, y=0))
    found = problems(attr.evolve(board, panels=[first, wide]), context, "dashboard-grid")
    assert found == ["panel 2 'Errors': gridPos x=12 w=16 y=0 h=8 does not fit the 24 columns"]


def test_unprovisioned_datasource_default(settings: Settings, context: LintContext) -> None:
    board = dashboard(settings)
    prometheus = attr.evolve(board.variables[0], default="some-other-prometheus")
    found = problems(
        attr.evolve(board, variables=[prometheus, board.variables[1]]), context, "dashboard-datasource-provisioned"
    )
    assert found == [
        "variable prometheus defaults to 'some-other-prometheus', but the provisioned prometheus datasource is "
        "'rat-prometheus'"
    ]


def test_unknown_stream_label(settings: Settings, context: LintContext) -> None:
    board = dashboard(settings)
    first, logs = board.panels
    broken = attr.evolve(logs, targets=[query('{app="ratd"} |= "ERROR"')])
    found = problems(attr.evolve(board, panels=[first, broken]), context, "panel-loki-labels")
    assert len(found) == 1 and "stream label 'app' is not one of" in found[0]


def test_the_rat_dashboards_are_lint_clean(settings: Settings) -> None:
    from monitoring_as_code import pipeline
    from tests.conftest import REPO, TEST_PROFILE

    bundle = pipeline.load(pipeline.Project(REPO, TEST_PROFILE))
    assert [str(p) for p in pipeline.lint(bundle)] == []


def with_driver(settings: Settings, driver: str) -> Settings:
    logging = attrs.evolve(settings.logging, driver=driver)
    return attrs.evolve(settings, logging=logging)


def test_a_loki_panel_while_nothing_ships_logs_to_loki(settings: Settings) -> None:
    json_file = build_context(with_driver(settings, "json-file"), GUIDE_CATALOG, [])
    found = problems(dashboard(settings), json_file, "panel-loki-shipped")
    assert found == [
        "panel 2 'Errors': queries Loki, but logging.driver 'json-file' ships no log to Loki: it would be empty "
        "(use the loki driver, or leave the panel out)"
    ]


def test_near_misses_of_panel_loki_shipped(settings: Settings) -> None:
    loki = build_context(with_driver(settings, "loki"), GUIDE_CATALOG, [])
    assert problems(dashboard(settings), loki, "panel-loki-shipped") == []
    json_file = build_context(with_driver(settings, "json-file"), GUIDE_CATALOG, [])
    board = dashboard(settings)
    metrics_only = attr.evolve(board, panels=[board.panels[0]])
    assert problems(metrics_only, json_file, "panel-loki-shipped") == []


@pytest.mark.parametrize("driver", ["loki", "json-file"])
def test_logs_panels_exist_exactly_where_logs_reach_loki(project: Path, mac: MacRunner, driver: str) -> None:
    settings = yaml.safe_load((project / "monitoring.yaml").read_text())
    settings["logging"]["driver"] = driver
    (project / "monitoring.yaml").write_text(yaml.safe_dump(settings))
    assert mac(project, "generate").exit_code == 0
    boards = [json.loads(p.read_text()) for p in (project / "generated/grafana/dashboards").glob("*.json")]
    loki_panels = [p["title"] for b in boards for p in b["panels"] if p["datasource"]["type"] == "loki"]
    if driver == "loki":
        assert "ratd Errors" in loki_panels and "Logs" in loki_panels
    else:
        assert loki_panels == []


@pytest.mark.parametrize(
    "query_text",
    [
        'rate(ratd_http_requests_total{path=~"/v[0-9]+"}[$__rate_interval])',
        "sum(increase(ratd_http_requests_total[${__range}]))",
    ],
)
def test_panel_rate_interval_reads_the_syntax_tree(settings: Settings, context: LintContext, query_text: str) -> None:
    assert problems(dashboard(settings, panel=expr(query_text)), context, "panel-rate-interval") == []
