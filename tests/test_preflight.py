"""`make up` checks the Docker host before it starts anything (`mac preflight`): every secret file
exists, is not empty and is readable by the uid of the container that reads it (Alertmanager
65534, Grafana 472), and the Loki plugin is there when logs go through it. A problem stops `up`
with the command that fixes it, before RAT or the stack is touched."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from monitoring_as_code.outputs.compose.rat_compose import docker_compose
from monitoring_as_code.outputs.compose.settings import PROJECT_DIR_VARIABLE
from tests.conftest import REPO
from tests.test_compose import RAT_OVERRIDE, Settings, deploy, reading_rat_file, site_settings

UP = "up -d"  # what `make up` runs, or prints without a Docker engine
OURS = "generated/compose/docker-compose.monitoring.yml"


def make_up(host: Path, docker: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`make up` in the monitoring project deployed in `host` (its settings and generated/, this
    repository's Makefile and virtualenv), onto the RAT beside it. `docker`: a folder with a
    stand-in docker CLI, put first on PATH."""
    # PYTHONPATH: this checkout's `mac`, even when the virtualenv's editable install is another's.
    environment = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock", "PYTHONPATH": str(REPO)}
    if docker is not None:
        environment["PATH"] = f"{docker}:{environment['PATH']}"
    if not (host / ".venv").exists():
        (host / ".venv").symlink_to(REPO / ".venv")
    command = ["make", "-f", str(REPO / "Makefile"), "-s", "-o", "generate", "up"]
    if "file" not in yaml.safe_load((host / "monitoring.yaml").read_text())["compose"]["rat"]:
        command.append(f"RAT_COMPOSE={host}/infra/docker-compose.yml")
    return subprocess.run(command, cwd=host, env=environment, capture_output=True, text=True, timeout=120)


def refused(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert UP not in result.stdout  # stopped before anything would start
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ") and "Traceback" not in result.stderr
    for text in expected:
        assert text in first, first
    return first


@pytest.fixture
def host(tmp_path: Path) -> Path:
    return deploy(tmp_path / "host", site_settings())


def test_with_every_secret_in_place_up_goes_ahead(host: Path) -> None:
    result = make_up(host)
    assert result.returncode == 0, result.stderr
    assert f"docker compose -f {host}/infra/docker-compose.yml -f {OURS} up -d" in result.stdout


def printed_up(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The `docker compose ... up -d` line `make up` prints without a Docker engine, as a shell reads it."""
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.strip().startswith("docker compose")]
    return shlex.split(line)


@pytest.mark.parametrize(
    ("edit", "folder"),
    [(None, "host"), (reading_rat_file, "host"), (None, "rat's-host")],
    ids=["RAT_COMPOSE", "compose.rat.file", "a folder the shell must quote"],
)
def test_up_layers_rats_own_override_first(
    tmp_path: Path, edit: Callable[[Settings], None] | None, folder: str
) -> None:
    """RAT's docker-compose.override.yml, which Compose merges on its own only without -f, is in the
    command between RAT's file and ours; and that command runs RAT with its settings."""
    host = deploy(tmp_path / folder, site_settings(edit), None, RAT_OVERRIDE.read_text())
    infra = host / "infra"
    command = printed_up(make_up(host))
    files = [str(infra / "docker-compose.yml"), str(infra / "docker-compose.override.yml"), OURS]
    assert command == ["docker", "compose", *(arg for f in files for arg in ("-f", f)), "up", "-d"]
    # The same files, as the project's folder would run them: RAT's override is there.
    config = subprocess.run(
        [docker_compose(), *command[2:-2], "config", "--format", "json"],
        cwd=host,
        capture_output=True,
        text=True,
        env={**os.environ, PROJECT_DIR_VARIABLE: str(host)},
    )
    assert config.returncode == 0, config.stderr
    runner = json.loads(config.stdout)["services"]["runner"]
    assert runner["environment"]["DUCKDB_MEMORY_LIMIT"] == "4GB"
    assert runner["deploy"]["resources"]["limits"]["memory"] == str(6 * 2**30)


def test_a_missing_secret_file_stops_up(host: Path) -> None:
    (host / "secrets/alertmanager/pagerduty-routing-key").unlink()
    refused(make_up(host), "pagerduty-routing-key", "does not exist", "chown 65534:65534")


def test_a_missing_textfile_folder_stops_up(host: Path) -> None:
    """Compose's long-syntax bind mount does not create its source: node-exporter would never be
    created, and an `up` that stops there may already have recreated RAT's containers."""
    (host / "hostfs/textfile_dir").rmdir()
    refused(make_up(host), f"{host}/hostfs/textfile_dir (mounted by node-exporter at /textfile) does not exist")


def test_a_generated_folder_elsewhere_stops_up(host: Path) -> None:
    """The override mounts generated/ from the project folder `make up` runs in: one without it
    (a layout where generated/ is not beside monitoring.yaml) is refused, not mounted empty."""
    (host / "generated").rename(host / "elsewhere")
    (host / "generated" / "compose").mkdir(parents=True)
    (host / "elsewhere" / "compose" / "docker-compose.monitoring.yml").rename(
        host / "generated" / "compose" / "docker-compose.monitoring.yml"
    )
    refused(make_up(host), f"{host}/generated/alertmanager/alertmanager.yml (mounted by alertmanager")


def test_a_missing_rat_compose_file_stops_up(host: Path) -> None:
    (host / "infra" / "docker-compose.yml").unlink()
    refused(make_up(host), f"--rat-compose: RAT's compose file {host}/infra/docker-compose.yml does not exist")


def test_an_empty_secret_file_stops_up(host: Path) -> None:
    (host / "secrets/grafana-admin-password").write_text("")
    refused(make_up(host), "grafana-admin-password", "is empty")


@pytest.mark.parametrize(
    ("name", "owner", "mode", "fix"),
    [
        ("alertmanager/slack-webhook-url", (0, 0), 0o600, "chown 65534:65534"),
        ("grafana-admin-password", (0, 0), 0o600, "chown 472:0"),
        ("grafana-admin-password", (472, 1000), 0o040, "chown 472:0"),
    ],
    ids=["alertmanager's, root 0600", "grafana's, root 0600", "grafana's, readable by its group only"],
)
def test_a_secret_the_container_cannot_read_stops_up(
    host: Path, name: str, owner: tuple[int, int], mode: int, fix: str
) -> None:
    path = host / "secrets" / name
    os.chown(path, *owner)
    path.chmod(mode)
    refused(make_up(host), str(path), "not readable", fix, "chmod 0400")


@pytest.mark.parametrize(
    ("name", "owner", "mode"),
    [
        ("alertmanager/slack-webhook-url", (65534, 65534), 0o400),
        ("grafana-admin-password", (472, 0), 0o400),
        ("grafana-admin-password", (0, 0), 0o440),  # group root: Grafana's gid 0
        ("grafana-admin-password", (0, 0), 0o644),
    ],
    ids=["alertmanager's owner", "grafana's owner", "grafana's group", "world-readable"],
)
def test_what_the_readme_recommends_passes(host: Path, name: str, owner: tuple[int, int], mode: int) -> None:
    path = host / "secrets" / name
    os.chown(path, *owner)
    path.chmod(mode)
    assert make_up(host).returncode == 0


def test_a_secrets_folder_alertmanager_cannot_enter_stops_up(host: Path) -> None:
    (host / "secrets/alertmanager").chmod(0o700)
    refused(make_up(host), "compose.secrets.alertmanager_dir", "cannot enter", "chmod 0500")


def test_a_disabled_receiver_needs_no_secret(tmp_path: Path) -> None:
    def disable_chat(settings: Settings) -> None:
        settings["alertmanager"]["receivers"]["team-chat"]["disabled"] = "no chat yet"
        settings["alertmanager"]["route_to"]["warning"] = "team-chat"

    host = deploy(tmp_path, site_settings(disable_chat))
    (host / "secrets/alertmanager/slack-webhook-url").unlink()
    assert make_up(host).returncode == 0


def _docker_stand_in(folder: Path, plugin: str) -> Path:
    """A docker CLI for a host with an engine (`info` succeeds) whose Loki plugin is in state
    `plugin` (missing, false, true); it records every call. No Docker engine runs here."""
    folder.mkdir()
    script = folder / "docker"
    inspect = {"missing": 'echo "Error: No such plugin: loki" >&2; exit 1', "false": "echo false", "true": "echo true"}
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {folder}/calls\n'
        'case "$1" in\n'
        "  info) exit 0 ;;\n"
        f"  plugin) {inspect[plugin]} ;;\n"
        "  *) exit 0 ;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    return folder


def use_loki(settings: Settings) -> None:
    settings["logging"]["driver"] = "loki"


def use_json_file(settings: Settings) -> None:
    settings["logging"]["driver"] = "json-file"


@pytest.mark.parametrize(("plugin", "message"), [("missing", "is not installed"), ("false", "is disabled")])
def test_the_loki_driver_without_its_plugin_stops_up_before_rat_starts(
    tmp_path: Path, plugin: str, message: str
) -> None:
    host = deploy(tmp_path / "host", site_settings(use_loki))
    docker = _docker_stand_in(tmp_path / "bin", plugin)
    first = refused(make_up(host, docker), message, "docker plugin install grafana/loki-docker-driver:")
    assert "--alias loki --grant-all-permissions" in first
    calls = (docker / "calls").read_text()
    assert "compose" not in calls  # nothing was started


@pytest.mark.parametrize(
    ("edit", "plugin"),
    [(use_loki, "true"), (use_json_file, "missing")],
    ids=["plugin enabled", "json-file: no plugin needed"],
)
def test_up_goes_ahead_when_the_logging_driver_is_there(
    tmp_path: Path, edit: Callable[[Settings], None], plugin: str
) -> None:
    host = deploy(tmp_path / "host", site_settings(edit))
    docker = _docker_stand_in(tmp_path / "bin", plugin)
    result = make_up(host, docker)
    assert result.returncode == 0, result.stderr
    assert f"compose -f {host}/infra/docker-compose.yml -f {OURS} up -d" in (docker / "calls").read_text()


@pytest.mark.parametrize("folder", ["host", "rat's-host"], ids=["plain", "a folder the shell must quote"])
def test_up_runs_rats_override_on_a_docker_host(tmp_path: Path, folder: str) -> None:
    host = deploy(tmp_path / folder, site_settings(), None, RAT_OVERRIDE.read_text())
    docker = _docker_stand_in(tmp_path / "bin", "true")
    assert make_up(host, docker).returncode == 0
    infra = host / "infra"
    layered = f"-f {infra}/docker-compose.yml -f {infra}/docker-compose.override.yml -f {OURS}"
    assert f"compose {layered} up -d" in (docker / "calls").read_text()
