"""Loki: the driver's log-opts checked when settings load (Docker Compose passes anything through;
the driver refuses it only when a container starts), and loki-config.yml checked against Loki 3's
documented fields and start-up rules (no Loki binary installs here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose.unit import PATHS
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.render.loki import render_loki_config
from monitoring_as_code.settings import Settings
from monitoring_as_code.validate import loki
from tests.conftest import TEST_PROFILE

# Every log-opt the Loki docker driver accepts (its validateDriverOpt), with a valid value.
DRIVER_OPTIONS = {
    "loki-url": "http://127.0.0.1:3100/loki/api/v1/push",
    "loki-external-labels": "cluster=prod,job=docker",
    "loki-timeout": "2s",
    "loki-batch-wait": "1s",
    "loki-batch-size": "400",
    "loki-min-backoff": "500ms",
    "loki-max-backoff": "2s",
    "loki-retries": "5",
    "loki-pipeline-stages": "- labels:\n    level:\n",
    "loki-relabel-config": "- action: labelmap\n  regex: compose_(service)\n",
    "loki-tenant-id": "rat",
    "loki-tls-ca-file": "/etc/ssl/ca.pem",
    "loki-tls-cert-file": "/etc/ssl/cert.pem",
    "loki-tls-key-file": "/etc/ssl/key.pem",
    "loki-tls-server-name": "loki.example.com",
    "loki-tls-insecure-skip-verify": "false",
    "loki-proxy-url": "http://proxy:3128",
    "no-file": "false",
    "keep-file": "true",
    "labels": "com.docker.compose.service",
    "env": "RAT_ENV",
    "env-regex": "^RAT_",
    "max-size": "10m",
    "max-file": "3",
    "mode": "non-blocking",
    "max-buffer-size": "4m",
}


def settings_with(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(TEST_PROFILE.read_text())
    edit(data)
    path = tmp_path / "monitoring.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def loki_options(tmp_path: Path, **changes: str | None) -> Path:
    def edit(data: dict[str, Any]) -> None:
        options = data["logging"]["loki"]
        for key, value in changes.items():
            key = key.replace("_", "-")
            if value is None:
                options.pop(key)
            else:
                options[key] = value

    return settings_with(tmp_path, edit)


def refused(path: Path) -> str:
    with pytest.raises(DefinitionError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: settings logging.loki")
    return message


def test_every_option_the_driver_accepts_loads(tmp_path: Path) -> None:
    def all_options(data: dict[str, Any]) -> None:
        data["logging"] = {"driver": "loki", "json-file": data["logging"]["json-file"], "loki": DRIVER_OPTIONS}

    settings = load_settings(settings_with(tmp_path, all_options))
    assert settings.logging.driver == "loki"
    assert dict(settings.logging.options) == DRIVER_OPTIONS


def test_the_shipped_loki_block_has_the_guides_batch_size_and_cannot_stall(settings: Settings) -> None:
    data = yaml.safe_load(TEST_PROFILE.read_text())["logging"]["loki"]
    assert data["loki-batch-size"] == "400"
    assert data["mode"] == "non-blocking"
    assert int(data["loki-retries"]) > 0


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"loki_batchsize": "400"}, "unknown key 'loki-batchsize'"),
        ({"log_level": "debug"}, "unknown key 'log-level'"),
        ({"loki_url": None}, "'loki-url' is a required property"),
        ({"mode": "blocking"}, "'non-blocking' was expected"),
        ({"loki_retries": "0"}, "'0' does not match"),  # 0 retries forever: docker stop would hang
        ({"loki_timeout": "2 seconds"}, "'2 seconds' does not match"),
        ({"no_file": "yes"}, "'yes' is not one of"),
    ],
)
def test_a_wrong_option_is_one_line_naming_file_key_and_problem(
    tmp_path: Path, changes: dict[str, str | None], problem: str
) -> None:
    assert problem in refused(loki_options(tmp_path, **changes))


def test_pipeline_stages_from_a_file_and_inline_exclude_each_other(tmp_path: Path) -> None:
    path = loki_options(tmp_path, loki_pipeline_stages="- labels: {}", loki_pipeline_stage_file="/etc/stages.yml")
    assert "exclude each other" in refused(path)


def test_external_labels_may_not_override_the_per_service_ones(tmp_path: Path) -> None:
    message = refused(loki_options(tmp_path, loki_external_labels="service=rat"))
    assert "service are set per service by the override" in message


def test_a_loopback_url_must_use_the_port_loki_is_published_on(tmp_path: Path) -> None:
    message = refused(loki_options(tmp_path, loki_url="http://127.0.0.1:3110/loki/api/v1/push"))
    assert message.endswith("loki-url: loki-url port 3110 is not the port Loki is published on (3100)")


def test_the_loki_block_is_required_only_when_it_is_the_driver(tmp_path: Path) -> None:
    def json_file_only(data: dict[str, Any]) -> None:
        del data["logging"]["loki"]
        data["logging"]["driver"] = "json-file"

    assert load_settings(settings_with(tmp_path, json_file_only)).logging.driver == "json-file"

    def loki_without_options(data: dict[str, Any]) -> None:
        json_file_only(data)
        data["logging"]["driver"] = "loki"

    with pytest.raises(DefinitionError, match="'loki' is a required property"):
        load_settings(settings_with(tmp_path, loki_without_options))


def test_retention_comes_from_settings_in_whole_days(tmp_path: Path) -> None:
    def week(data: dict[str, Any]) -> None:
        data["retention"]["loki"] = "7d"

    config = render_loki_config(load_settings(settings_with(tmp_path, week)).retention)
    assert config["limits_config"]["retention_period"] == "7d"
    assert config["compactor"]["retention_enabled"] is True

    def day_and_a_half(data: dict[str, Any]) -> None:
        data["retention"]["loki"] = "36h"

    with pytest.raises(DefinitionError, match=r"settings retention\.loki: must be a whole number of days"):
        load_settings(settings_with(tmp_path, day_and_a_half))


def test_the_config_is_a_single_binary_on_the_filesystem(settings: Settings) -> None:
    config = render_loki_config(settings.retention)
    assert "target" not in config  # default "all": every component in one process
    assert config["common"]["storage"] == {
        "filesystem": {"chunks_directory": "/loki/chunks", "rules_directory": "/loki/rules"}
    }
    (period,) = config["schema_config"]["configs"]
    assert (period["store"], period["object_store"], period["schema"]) == ("tsdb", "filesystem", "v13")


@pytest.fixture
def tree(tmp_path: Path, settings: Settings) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """A tree holding the rendered loki-config.yml after `edit`."""

    def write(edit: Callable[[dict[str, Any]], None]) -> Path:
        config = render_loki_config(settings.retention)
        edit(config)
        (tmp_path / PATHS.loki_config).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / PATHS.loki_config).write_text(yaml.safe_dump(config))
        return tmp_path

    return write


def test_the_rendered_config_passes_both_checks(tree: Callable[..., Path]) -> None:
    path = tree(lambda config: None)
    loki.check_schema(path, PATHS.loki_config)
    loki.check_start_up_rules(path, PATHS.loki_config)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda c: c["compactor"].update(shared_store="filesystem"), "'shared_store' was unexpected"),  # removed in 3.0
        (lambda c: c["limits_config"].update(enforce_metric_name=False), "'enforce_metric_name' was unexpected"),
        (lambda c: c.update(storge_config={}), "'storge_config' was unexpected"),
        (lambda c: c["schema_config"]["configs"][0].update(schema="v14"), "'v14' is not one of"),
        (lambda c: c["server"].update(http_listen_port="3100"), "'3100' is not of type 'integer'"),
    ],
)
def test_the_schema_refuses_what_loki_3_does_not_know(
    tree: Callable[..., Path], edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    with pytest.raises(DefinitionError, match=problem) as caught:
        loki.check_schema(tree(edit), PATHS.loki_config)
    assert str(caught.value).startswith(PATHS.loki_config)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda c: c["compactor"].pop("delete_request_store"), "retention needs delete_request_store"),
        (lambda c: c["schema_config"]["configs"][0].update(schema="v12"), "structured metadata"),
        (lambda c: c["limits_config"].update(retention_period="36h"), "whole days"),
        (lambda c: c["compactor"].update(working_directory="/tmp/compactor"), "outside path_prefix /loki"),
    ],
)
def test_start_up_rules(tree: Callable[..., Path], edit: Callable[[dict[str, Any]], None], problem: str) -> None:
    path = tree(edit)
    loki.check_schema(path, PATHS.loki_config)
    with pytest.raises(DefinitionError, match=problem):
        loki.check_start_up_rules(path, PATHS.loki_config)


def test_structured_metadata_switched_off_allows_an_older_schema(tree: Callable[..., Path]) -> None:
    def older(config: dict[str, Any]) -> None:
        config["schema_config"]["configs"][0]["schema"] = "v12"
        config["limits_config"]["allow_structured_metadata"] = False

    loki.check_start_up_rules(tree(older), PATHS.loki_config)
