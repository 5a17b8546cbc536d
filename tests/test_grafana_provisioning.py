"""Grafana provisioning: the datasources and the dashboard provider as settings say, the documented
fields only, and every datasource uid a dashboard uses provisioned."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose.unit import PATHS
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.render.grafana_provisioning import render_dashboard_providers, render_datasources
from monitoring_as_code.settings import Settings
from monitoring_as_code.validate import grafana as grafana_validator
from tests.conftest import edit, profile_project

GENERATED = profile_project() / "generated"
DATASOURCES_FILE = f"{PATHS.datasources}/rat.yml"
PROVIDERS_FILE = f"{PATHS.providers}/rat.yml"
OVERVIEW = f"{PATHS.dashboards}/rat-overview.json"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of generated/grafana that a test may break."""
    shutil.copytree(GENERATED / "grafana", tmp_path / "grafana")
    return tmp_path


def _change_yaml(tree: Path, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = tree / relative
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def _change_overview(tree: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = tree / OVERVIEW
    dashboard = json.loads(path.read_text())
    change(dashboard)
    path.write_text(json.dumps(dashboard))


def _variable(dashboard: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in dashboard["templating"]["list"] if v["name"] == name)


def test_datasources_come_from_settings(settings: Settings) -> None:
    sources = {s["type"]: s for s in render_datasources(settings)["datasources"]}
    configured = settings.grafana.datasources
    assert {t: (s["uid"], s["url"]) for t, s in sources.items()} == {
        "prometheus": (configured.prometheus.uid, f"http://{configured.prometheus.address}"),
        "loki": (configured.loki.uid, f"http://{configured.loki.address}"),
        "alertmanager": (configured.alertmanager.uid, f"http://{configured.alertmanager.address}"),
    }
    assert sources["prometheus"]["url"] == "http://prometheus:9090"
    assert sources["prometheus"]["isDefault"] is True
    assert sources["prometheus"]["jsonData"]["alertmanagerUid"] == configured.alertmanager.uid


def test_dashboard_provider_is_a_read_only_file_provider(settings: Settings) -> None:
    (provider,) = render_dashboard_providers(settings)["providers"]
    assert provider["type"] == "file"
    assert provider["allowUiUpdates"] is False
    assert provider["folder"] == settings.grafana.folder
    assert provider["options"]["path"] == settings.grafana.dashboards_path


def test_generated_provisioning_passes_the_checks() -> None:
    grafana_validator.check_provisioning(GENERATED, PATHS.providers, PATHS.datasources)
    grafana_validator.check_datasource_uids(GENERATED, PATHS.dashboards, PATHS.datasources)


def test_every_dashboard_datasource_is_provisioned() -> None:
    provisioned = {s["uid"] for s in yaml.safe_load((GENERATED / DATASOURCES_FILE).read_text())["datasources"]}
    for path in sorted((GENERATED / PATHS.dashboards).glob("*.json")):
        for variable in json.loads(path.read_text())["templating"]["list"]:
            if variable["type"] == "datasource":
                assert variable["current"]["value"] in provisioned, f"{path.name}: {variable['name']}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _variable(d, "prometheus")["current"].update(value="gone"), "uid 'gone' is not provisioned"),
        (lambda d: d["panels"][0].update(datasource={"type": "prometheus", "uid": "other"}), "'other' is not"),
        (
            lambda d: d["panels"][0]["targets"][0].update(datasource={"type": "prometheus", "uid": "rat-loki"}),
            "'rat-loki' is a loki datasource, not prometheus",
        ),
        (
            lambda d: d["panels"][0].update(datasource={"type": "prometheus", "uid": "${loki}"}),
            "uid ${loki} is not a prometheus datasource variable",
        ),
    ],
    ids=["variable preset", "literal uid", "wrong type", "wrong variable"],
)
def test_uid_check_fails_on_a_dashboard_using_an_unprovisioned_uid(
    tree: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    grafana_validator.check_datasource_uids(tree, PATHS.dashboards, PATHS.datasources)  # the untouched copy passes
    _change_overview(tree, change)
    with pytest.raises(DefinitionError, match=re.escape(message)) as caught:
        grafana_validator.check_datasource_uids(tree, PATHS.dashboards, PATHS.datasources)
    assert caught.value.file == OVERVIEW


def test_uid_check_fails_when_the_datasource_is_not_provisioned(tree: Path) -> None:
    _change_yaml(tree, DATASOURCES_FILE, lambda d: d["datasources"].pop(1))  # Loki
    with pytest.raises(DefinitionError, match="uid 'rat-loki' is not provisioned"):
        grafana_validator.check_datasource_uids(tree, PATHS.dashboards, PATHS.datasources)


def test_uid_check_follows_the_alertmanager_of_prometheus(tree: Path) -> None:
    _change_yaml(tree, DATASOURCES_FILE, lambda d: d["datasources"][0]["jsonData"].update(alertmanagerUid="rat-loki"))
    with pytest.raises(DefinitionError, match="alertmanagerUid 'rat-loki' is not a provisioned alertmanager"):
        grafana_validator.check_datasource_uids(tree, PATHS.dashboards, PATHS.datasources)


@pytest.mark.parametrize(
    ("relative", "change", "message"),
    [
        (DATASOURCES_FILE, lambda d: d["datasources"][0].update(urll="http://x:1"), "'urll' was unexpected"),
        (DATASOURCES_FILE, lambda d: d["datasources"][0]["jsonData"].update(foo=1), "'foo' was unexpected"),
        (DATASOURCES_FILE, lambda d: d.update(apiVersion=2), "1 was expected"),
        (DATASOURCES_FILE, lambda d: d["datasources"][1].update(uid="rat-prometheus"), "provisioned twice"),
        (DATASOURCES_FILE, lambda d: d["datasources"][1].update(isDefault=True), "more than one default"),
        (PROVIDERS_FILE, lambda d: d["providers"][0].update(allowUiUpdates=True), "False was expected"),
        (PROVIDERS_FILE, lambda d: d["providers"][0]["options"].update(pathh="/x"), "'pathh' was unexpected"),
        (PROVIDERS_FILE, lambda d: d["providers"][0].update(type="git"), "'file' was expected"),
    ],
    ids=[
        "unknown datasource field",
        "unknown jsonData field",
        "apiVersion",
        "uid twice",
        "two defaults",
        "ui updates",
        "unknown option",
        "provider type",
    ],
)
def test_provisioning_check_allows_only_documented_fields(
    tree: Path, relative: str, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    grafana_validator.check_provisioning(tree, PATHS.providers, PATHS.datasources)  # the untouched copy passes
    _change_yaml(tree, relative, change)
    with pytest.raises(DefinitionError, match=re.escape(message)) as caught:
        grafana_validator.check_provisioning(tree, PATHS.providers, PATHS.datasources)
    assert caught.value.file == relative


def test_provisioning_check_needs_the_files(tree: Path) -> None:
    shutil.rmtree(tree / PATHS.providers)
    with pytest.raises(DefinitionError, match="missing"):
        grafana_validator.check_provisioning(tree, PATHS.providers, PATHS.datasources)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("uid: rat-loki,", "uid: rat-prometheus,", "datasource uids must differ"),
        ("refresh: 30s ", "refresh: 1500ms ", "settings grafana.refresh: must be a whole number of seconds"),
        ("folder: RAT ", "folders: RAT ", "unknown key 'folders'"),
        ("address: loki:3100", "address: http://loki:3100", "is not host:port"),
    ],
    ids=["same uid", "fractional refresh", "unknown key", "url for address"],
)
def test_grafana_settings_are_checked(project: Path, old: str, new: str, message: str) -> None:
    edit(project / "monitoring.yaml", old, new)
    with pytest.raises(DefinitionError, match=re.escape(message)):
        load_settings(project / "monitoring.yaml")
