"""The Grafana dashboards of every profile: their JSON against Grafana's official schemas, each
guide's panels, the grid, the model refusing broken definitions, the structural validator refusing
broken JSON, and byte-identical output."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from grafanalib import core
from grafanalib._gen import DashboardEncoder

from dashboards._shared import LOG_FORMATS
from monitoring_as_code import pipeline
from monitoring_as_code.dashboard import Dashboard, Heatmap, datasource_variable, grid, ref
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose.unit import PATHS
from monitoring_as_code.render.grafana import render_dashboard
from monitoring_as_code.serialize import to_json
from monitoring_as_code.settings import Settings
from monitoring_as_code.validate import grafana as grafana_validator
from tests.conftest import GUIDE, PROFILES, RATD_0_2, SHARED, MacRunner, edit, profile_project, set_profile, shared

GENERATED = profile_project() / "generated"
OFFICIAL = SHARED / "schemas" / "grafana-v11.6"

# Each guide's "Dashboard Template": panel title -> Grafana panel type.
GUIDE_PANELS = {
    "Service Health": "stat",
    "Active Runs": "gauge",
    "Run Success Rate": "piechart",
    "API Latency": "heatmap",
    "Request Rate": "timeseries",
    "Error Rate": "timeseries",
    "Container Memory": "timeseries",
    "Container CPU": "timeseries",
}
CURRENT_PANELS = {
    "Service Readiness": "stat",
    "Goroutines": "timeseries",
    "Heap Allocated": "timeseries",
    "Postgres Pool Saturation": "gauge",
    "Plugin Health": "stat",
    "Scheduler Tick Duration": "timeseries",
    "Active SSE Connections": "timeseries",
    "Container Memory": "timeseries",
    "Container CPU": "timeseries",
}


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _render_all() -> dict[str, dict[str, Any]]:
    """ "profile/uid" -> the dashboard's JSON, for every profile, as `mac generate` renders it."""
    out = {}
    for profile in PROFILES:
        bundle = pipeline.load(
            pipeline.Project(profile_project(), profile_project() / "monitoring.yaml"), profile=profile
        )
        for dashboard in bundle.dashboards:
            out[f"{profile}/{dashboard.uid}"] = json.loads(to_json(render_dashboard(dashboard, bundle.settings)))
    return out


DASHBOARDS = _render_all()
PANELS = [(f"{name}:{panel['id']}", panel) for name, d in DASHBOARDS.items() for panel in d["panels"]]


def _overview(profile: str = GUIDE) -> dict[str, Any]:
    return DASHBOARDS[f"{profile}/rat-overview"]


def _panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in dashboard["panels"] if p["title"] == title)


# --- Grafana's official schemas (schemaVersion 41) ------------------------------------------------


@pytest.fixture(scope="module")
def official() -> Callable[[str], dict[str, Any]]:
    folder = shared(OFFICIAL, "Grafana's official schemas")
    return lambda name: json.loads((folder / f"{name}.jsonschema.json").read_text())


def _errors(schema: dict[str, Any], instance: Any, definition: str | None = None) -> list[str]:
    if definition is not None:
        schema = {**schema, "$ref": f"#/definitions/{definition}"}  # draft-07: the $ref is the whole schema
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(instance)]


def test_five_dashboards_per_profile_and_the_generated_ones_are_the_settings_profile(settings: Settings) -> None:
    uids = ("rat-logs", "rat-minio-nessie", "rat-overview", "rat-postgres", "rat-slos")
    assert sorted(DASHBOARDS) == sorted(f"{p}/{uid}" for p in PROFILES for uid in uids)
    generated = sorted((GENERATED / PATHS.dashboards).glob("*.json"))
    assert {p.stem: _load(p) for p in generated} == {
        name.split("/")[1]: d for name, d in DASHBOARDS.items() if name.startswith(f"{settings.profile}/")
    }


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_passes_the_official_schema(name: str, official: Callable[[str], dict[str, Any]]) -> None:
    assert _errors(official("dashboard"), DASHBOARDS[name]) == []


@pytest.mark.parametrize(("name", "panel"), PANELS, ids=[n for n, _ in PANELS])
def test_panel_options_and_custom_field_config_pass_the_panel_schema(
    name: str, panel: dict[str, Any], official: Callable[[str], dict[str, Any]]
) -> None:
    schema = official(panel["type"])
    assert _errors(schema, panel["options"], "Options") == []
    custom = panel["fieldConfig"]["defaults"].get("custom")
    if "FieldConfig" in schema["definitions"]:
        assert custom is not None, f"{name}: {panel['type']} panels have custom field config"
        assert _errors(schema, custom, "FieldConfig") == []
    else:
        assert custom is None, f"{name}: {panel['type']} panels define no custom field config"


@pytest.mark.parametrize(("name", "panel"), PANELS, ids=[n for n, _ in PANELS])
def test_targets_pass_the_datasource_query_schema(
    name: str, panel: dict[str, Any], official: Callable[[str], dict[str, Any]]
) -> None:
    for target in panel["targets"]:
        assert _errors(official(target["datasource"]["type"]), target) == []


# --- what the dashboards show -----------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "panels"), [(GUIDE, GUIDE_PANELS), (RATD_0_2, CURRENT_PANELS)])
def test_overview_has_the_guides_panels_with_the_guides_types(profile: str, panels: dict[str, str]) -> None:
    types = {p["title"]: p["type"] for p in _overview(profile)["panels"]}
    assert {title: types.get(title) for title in panels} == panels


def test_ratd_0_2_overview_reads_ratd_0_2s_metrics(settings: Settings) -> None:
    overview = _overview(RATD_0_2)
    exprs = {p["title"]: " ".join(t["expr"] for t in p["targets"]) for p in overview["panels"]}
    assert "ratd_goroutines" in exprs["Goroutines"]
    assert "ratd_memory_alloc_bytes" in exprs["Heap Allocated"]
    assert "ratd_postgres_pool_acquired" in exprs["Postgres Pool Saturation"]
    # Against the cap, not the connections open now (ratd_postgres_pool_total is pgxpool's TotalConns()).
    assert exprs["Postgres Pool Saturation"].endswith(f"/ {settings.ratd.db_max_conns}")
    assert "ratd_plugins_healthy" in exprs["Plugin Health"] and "ratd_plugins_total" in exprs["Plugin Health"]
    assert "ratd_scheduler_last_tick_duration_seconds" in exprs["Scheduler Tick Duration"]
    assert "ratd_sse_connections_active" in exprs["Active SSE Connections"]
    assert 'probe_success{job="rat-probes"}' in exprs["Service Readiness"]
    pool = _panel(overview, "Postgres Pool Saturation")["fieldConfig"]["defaults"]
    assert (pool["min"], pool["max"], pool["unit"]) == (0, 1, "percentunit")
    red = pool["thresholds"]["steps"][-1]
    assert (red["color"], red["value"]) == ("red", settings.thresholds.postgres_pool_saturation_ratio)


@pytest.mark.parametrize("profile", PROFILES)
def test_overview_adds_ratd_errors_from_loki_and_firing_alerts(profile: str) -> None:
    overview = _overview(profile)
    logs = next(p for p in overview["panels"] if p["type"] == "logs")
    assert logs["datasource"]["type"] == "loki"
    assert logs["targets"][0]["expr"].startswith('{compose_service="ratd"}')
    alerts = next(p for p in overview["panels"] if p["type"] == "table")
    assert 'ALERTS{alertstate="firing"' in alerts["targets"][0]["expr"]


def test_every_panel_states_unit_and_description() -> None:
    for name, panel in PANELS:
        assert panel["fieldConfig"]["defaults"].get("unit"), name
        assert panel.get("description", "").strip(), name


def test_health_is_one_value_per_probe_check_mapped_to_healthy_and_unhealthy() -> None:
    health = _panel(_overview(), "Service Health")
    assert 'probe_success{job="rat-probes"}' in health["targets"][0]["expr"]
    assert health["targets"][0]["legendFormat"] == "{{check}}"
    (mapping,) = health["fieldConfig"]["defaults"]["mappings"]
    assert mapping["options"] == {
        "1": {"text": "healthy", "color": "green"},
        "0": {"text": "unhealthy", "color": "red"},
    }


def test_active_runs_gauge_follows_runner_settings(settings: Settings) -> None:
    defaults = _panel(_overview(), "Active Runs")["fieldConfig"]["defaults"]
    full = settings.runner_max_concurrent
    assert defaults["max"] == full
    steps = defaults["thresholds"]["steps"]
    assert [s["value"] for s in steps] == [None, full * settings.thresholds.runner_queue_percent / 100, full]
    assert [s["color"] for s in steps] == ["green", "orange", "red"]


def test_run_success_rate_covers_the_dashboard_time_range() -> None:
    (target,) = _panel(_overview(), "Run Success Rate")["targets"]
    assert "increase(ratd_pipeline_runs_total" in target["expr"]
    assert "[$__range]" in target["expr"]
    assert target["instant"] is True


def test_api_latency_heatmap_reads_the_histogram_buckets() -> None:
    heatmap = _panel(_overview(), "API Latency")
    (target,) = heatmap["targets"]
    assert "ratd_http_request_duration_seconds_bucket" in target["expr"]
    assert target["format"] == "heatmap"
    assert heatmap["options"]["calculate"] is False
    assert heatmap["options"]["yAxis"]["unit"] == "s"


def test_error_rate_is_the_5xx_share() -> None:
    error_rate = _panel(_overview(), "Error Rate")
    assert 'status=~"5.."' in error_rate["targets"][0]["expr"]
    assert error_rate["fieldConfig"]["defaults"]["unit"] == "percentunit"


@pytest.mark.parametrize("profile", PROFILES)
def test_container_panels_use_the_recording_rules(settings: Settings, profile: str) -> None:
    from alerts.recording import CONTAINER_MEMORY, container_cpu

    overview = _overview(profile)
    assert _panel(overview, "Container Memory")["targets"][0]["expr"] == CONTAINER_MEMORY
    assert _panel(overview, "Container CPU")["targets"][0]["expr"] == container_cpu(settings)


def test_rate_windows_are_grafana_intervals() -> None:
    """Every range selector is $__rate_interval (Prometheus), $__interval (Loki) or $__range (totals)."""
    for name, panel in PANELS:
        for target in panel["targets"]:
            outside_strings = re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`', '""', target["expr"])  # a regex's [A-Z] is no range
            for window in re.findall(r"\[([^\]]*)\]", outside_strings):
                assert window in ("$__rate_interval", "$__interval", "$__range"), f"{name}: [{window}]"


@pytest.mark.parametrize("profile", PROFILES)
def test_dashboards_have_datasource_and_instance_variables(profile: str) -> None:
    overview = {v["name"]: v for v in _overview(profile)["templating"]["list"]}
    assert (overview["prometheus"]["type"], overview["prometheus"]["query"]) == ("datasource", "prometheus")
    assert (overview["loki"]["type"], overview["loki"]["query"]) == ("datasource", "loki")
    assert overview["instance"]["datasource"] == {"type": "prometheus", "uid": "${prometheus}"}
    for name, panel in PANELS:
        if panel["datasource"]["type"] == "prometheus" and "ratd_" in panel["targets"][0]["expr"]:
            assert 'instance=~"$instance"' in panel["targets"][0]["expr"], name


def test_logs_dashboard_filters_by_service_and_level() -> None:
    logs = DASHBOARDS[f"{RATD_0_2}/rat-logs"]
    assert logs == DASHBOARDS[f"{GUIDE}/rat-logs"]  # shared by every profile
    variables = {v["name"] for v in logs["templating"]["list"]}
    assert {"service", "level"} <= variables
    for panel in logs["panels"]:  # one target per log format (tests/test_log_levels.py reads them on lines)
        assert len(panel["targets"]) == len(LOG_FORMATS)
        for target in panel["targets"]:
            assert '{compose_service=~"$service", ' in target["expr"] and "$level" in target["expr"]


def test_uids_and_panel_ids_are_stable() -> None:
    ids = {name: [panel["id"] for panel in d["panels"]] for name, d in DASHBOARDS.items()}
    assert ids == {
        f"{GUIDE}/rat-logs": [1, 2],
        f"{GUIDE}/rat-overview": list(range(1, 11)),
        f"{RATD_0_2}/rat-logs": [1, 2],
        f"{RATD_0_2}/rat-overview": [1, 12, *range(2, 12)],  # the version (12) beside the readiness
        f"{GUIDE}/rat-postgres": list(range(1, 6)),
        f"{RATD_0_2}/rat-postgres": list(range(1, 6)),
        f"{GUIDE}/rat-minio-nessie": [1, 2, 3, 4, 6, 5],  # 6, the drives, drawn beside the heap
        f"{RATD_0_2}/rat-minio-nessie": [1, 2, 3, 4, 6, 5],  # 6, the drives, drawn beside the heap
        # Ten ids per SLO (one row of five panels): guide has three SLOs, ratd-0.2 two.
        f"{GUIDE}/rat-slos": [row + n for row in (0, 10, 20) for n in range(1, 6)],
        f"{RATD_0_2}/rat-slos": [row + n for row in (0, 10) for n in range(1, 6)],
    }
    assert {name: d["uid"] for name, d in DASHBOARDS.items()} == {name: name.split("/")[1] for name in DASHBOARDS}


def test_panels_fill_the_grid_without_overlap() -> None:
    for path, dashboard in DASHBOARDS.items():
        cells: set[tuple[int, int]] = set()
        for panel in dashboard["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
            area = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
            assert not cells & area, f"{path}: {panel['title']} overlaps another panel"
            cells |= area


def test_dashboards_are_current_json_not_grafanalibs_legacy() -> None:
    for path, dashboard in DASHBOARDS.items():
        assert dashboard["schemaVersion"] == 41
        text = to_json(dashboard)
        for legacy in ('"rows"', '"span"', '"hideControls"', '"sharedCrosshair"', '"style"'):
            assert legacy not in text, f"{path}: {legacy}"
        # null appears only as the base threshold step (minus infinity).
        assert text.count("null") == text.count('"value": null'), path


# --- the model refuses broken definitions -------------------------------------------------------------


def _dashboard(*panels: Any, **fields: Any) -> Dashboard:
    prometheus = datasource_variable("prometheus", "prometheus", "rat-prometheus", "Prometheus")
    defaults = {
        "uid": "test-dashboard",
        "title": "Test",
        "description": "A test dashboard.",
        "variables": [prometheus],
        "panels": panels or grid((6, [(24, _stat(ref(prometheus)))])),
    }
    return Dashboard(**{**defaults, **fields})


def _stat(datasource: dict[str, str], **attributes: Any) -> core.Stat:
    fields = {
        "id": 1,
        "title": "Up",
        "description": "Whether targets are up.",
        "dataSource": datasource,
        "targets": [core.Target(expr="up", refId="A")],
        "format": "none",
        **attributes,
    }
    return core.Stat(**fields)


PROMETHEUS_REF = {"type": "prometheus", "uid": "${prometheus}"}


@pytest.mark.parametrize(
    ("panels", "message"),
    [
        (grid((6, [(24, _stat(PROMETHEUS_REF, span=4))])), "span would not be written"),
        (grid((6, [(24, _stat(PROMETHEUS_REF, id=None))])), "stable id"),
        (grid((6, [(12, _stat(PROMETHEUS_REF)), (12, _stat(PROMETHEUS_REF))])), "id 1 is used twice"),
        ([_stat(PROMETHEUS_REF)], "needs a gridPos"),
        (
            grid((6, [(24, _stat(PROMETHEUS_REF, targets=[core.Target(expr="rate(up[$window])", refId="A")]))])),
            "unknown variable $window",
        ),
        (grid((6, [(24, _stat(PROMETHEUS_REF, targets=[core.Target(expr="sum(up", refId="A")]))])), "does not parse"),
        (grid((6, [(24, _stat({"type": "prometheus", "uid": "${loki}"}))])), "not a prometheus datasource variable"),
        (grid((6, [(24, core.Graph(title="Old", id=1, description="legacy"))])), "Graph is not a supported panel"),
        (
            grid((6, [(24, core.Heatmap(title="Old", id=1, description="x", dataSource=PROMETHEUS_REF))])),
            "Heatmap is dashboard.Heatmap",
        ),
    ],
    ids=[
        "legacy span",
        "no id",
        "duplicate id",
        "not placed",
        "unknown variable",
        "bad promql",
        "datasource variable missing",
        "unsupported panel",
        "grafanalib heatmap",
    ],
)
def test_model_refuses_a_broken_dashboard(panels: list[Any], message: str) -> None:
    # Missing descriptions or units and the grid's layout are lint rules: tests/lint/test_dashboard_rules.py.
    with pytest.raises(DefinitionError, match=re.escape(message)) as caught:
        _dashboard(*panels)
    assert caught.value.obj == "dashboard test-dashboard"


def test_model_refuses_a_short_uid() -> None:
    with pytest.raises(DefinitionError, match="8 to 40"):
        _dashboard(uid="rat")


def test_heatmap_needs_the_bucket_unit() -> None:
    heatmap = Heatmap(
        id=1,
        title="Latency",
        description="Buckets.",
        dataSource=PROMETHEUS_REF,
        targets=[core.Target(expr="sum by (le) (rate(x_bucket[$__rate_interval]))", refId="A", format="heatmap")],
        unit="reqps",
    )
    with pytest.raises(DefinitionError, match=r"yAxis\.format"):
        _dashboard(*grid((8, [(24, heatmap)])))


def test_extra_json_reaches_the_panel(settings: Settings) -> None:
    """grafanalib's escape hatch for options it lacks is merged into the current JSON."""
    stat = _stat(PROMETHEUS_REF, extraJson={"options": {"text": {"valueSize": 20}}})
    rendered = render_dashboard(_dashboard(*grid((6, [(24, stat)]))), settings)
    assert rendered["panels"][0]["options"]["text"] == {"valueSize": 20}
    assert rendered["panels"][0]["options"]["colorMode"] == "value"


def test_a_broken_definition_is_reported_with_file_and_dashboard(project: Path, mac: MacRunner) -> None:
    set_profile(project, GUIDE)
    edit(project / "dashboards" / "overview.py", 'title="Error Rate",', 'title="Error Rate", span=6,')
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert "dashboards/overview.py: dashboard rat-overview: panel 5 'Error Rate': attributes: span" in result.output


def test_a_define_returning_no_dashboard_is_refused(project: Path, mac: MacRunner) -> None:
    (project / "dashboards" / "extra.py").write_text("def define(settings):\n    return ['not a dashboard']\n")
    result = mac(project, "generate")
    assert result.exit_code == 2
    assert "extra.py: define() returned a str, not a Dashboard" in result.output


def test_mac_list_shows_the_dashboards(mac: MacRunner) -> None:
    result = mac(profile_project(), "list")
    assert result.exit_code == 0
    assert re.search(r"dashboards \(5\):\n\s+rat-logs\s+2 panels", result.output)
    assert re.search(r"rat-minio-nessie\s+6 panels", result.output)
    assert re.search(r"rat-postgres\s+5 panels", result.output)
    assert re.search(r"rat-slos\s+1[05] panels", result.output)  # five per SLO: ratd-0.2 has two, guide three
    assert re.search(r"rat-overview\s+1[02] panels", result.output)


# --- the structural validator refuses broken JSON (no ../shared needed) -------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of generated/grafana that a test may break."""
    shutil.copytree(GENERATED / "grafana", tmp_path / "grafana")
    return tmp_path


def _break(tree: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = tree / PATHS.dashboards / "rat-overview.json"
    dashboard = _load(path)
    change(dashboard)
    path.write_text(json.dumps(dashboard))


def _first_panel(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda dashboard: change(dashboard["panels"][0])


BREAKAGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "legacy rows": (lambda d: d.update(rows=[]), "'rows' was unexpected"),
    "old schema version": (lambda d: d.update(schemaVersion=12), "41 was expected"),
    "legacy span": (_first_panel(lambda p: p.update(span=4)), "'span' was unexpected"),
    "no unit": (_first_panel(lambda p: p["fieldConfig"]["defaults"].pop("unit")), "'unit' is a required property"),
    "no description": (_first_panel(lambda p: p.pop("description")), "'description' is a required property"),
    "null title": (_first_panel(lambda p: p.update(title=None)), "None is not of type 'string'"),
    "unknown panel type": (_first_panel(lambda p: p.update(type="graph")), "'graph' is not one of"),
    "duplicate id": (lambda d: d["panels"][1].update(id=1), "panel id 1 is used twice"),
    "overlap": (lambda d: d["panels"][1].update(gridPos=dict(d["panels"][0]["gridPos"])), "overlaps"),
    "beyond 24 columns": (_first_panel(lambda p: p["gridPos"].update(x=20, w=12)), "does not fit the 24 columns"),
    "undefined variable": (
        _first_panel(lambda p: p["targets"][0].update(expr="up{instance=~'$nowhere'}")),
        "undefined variable $nowhere",
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_structural_validator_refuses_a_broken_dashboard(tree: Path, breakage: str) -> None:
    change, message = BREAKAGES[breakage]
    grafana_validator.check_dashboards(tree, PATHS.dashboards)  # the untouched copy passes
    _break(tree, change)
    with pytest.raises(DefinitionError, match=re.escape(message)) as caught:
        grafana_validator.check_dashboards(tree, PATHS.dashboards)
    assert caught.value.file == "grafana/dashboards/rat-overview.json"


def test_structural_validator_refuses_grafanalibs_own_output(tree: Path) -> None:
    legacy = core.Dashboard(title="Legacy", uid="legacy-dashboard", panels=[core.Stat(title="x", id=1)])
    text = json.dumps(legacy.to_json_data(), cls=DashboardEncoder)
    (tree / PATHS.dashboards / "legacy-dashboard.json").write_text(text)
    with pytest.raises(DefinitionError, match="'hideControls', 'id', 'rows'"):
        grafana_validator.check_dashboards(tree, PATHS.dashboards)


# --- byte-identical output ------------------------------------------------------------------------------

RENDER_GRAFANA = """
import sys
from pathlib import Path
from monitoring_as_code import pipeline
root = Path(sys.argv[1])
files = pipeline.render(pipeline.load(pipeline.Project(root, root / "monitoring.yaml")))
sys.stdout.write("".join(f"{k}\\0{v}\\0" for k, v in files.items() if k.startswith("grafana/")))
"""


def _render_in_process(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", RENDER_GRAFANA, str(profile_project())],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


def test_output_is_byte_identical_across_runs_and_matches_generated() -> None:
    first, second = _render_in_process("1"), _render_in_process("2")
    assert first == second
    parts = first.split("\0")[:-1]
    rendered = dict(zip(parts[::2], parts[1::2], strict=True))
    committed = {
        str(p.relative_to(GENERATED)): p.read_text() for p in sorted((GENERATED / "grafana").rglob("*")) if p.is_file()
    }
    assert rendered == committed


def test_rendering_does_not_mutate_the_model(settings: Settings) -> None:
    dashboard = _dashboard()
    before = copy.deepcopy(dashboard.panels)
    assert render_dashboard(dashboard, settings) == render_dashboard(dashboard, settings)
    assert dashboard.panels == before
