"""`mac preflight`, run by `make up` before it starts anything: every problem that would make the
first `up` fail, or make it quietly go wrong, is found on the Docker host first. The secret files
(monitoring_as_code/secrets.py), the host folders the exporters mount, and the Loki logging plugin
when logs go through it: a service whose logging driver Docker lacks, or whose bind mount has no
source, is never created, and an `up` that stops there may already have recreated RAT's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import attrs

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.secrets import secret_problems
from monitoring_as_code.settings import Settings

PLUGIN_ALIAS = "loki"  # the name `logging.driver: loki` refers to
DOCKER_TIMEOUT = 20.0


def loki_plugin_install(settings: Settings) -> str:
    """The install command: the driver is released with each Loki version, so the one of our Loki."""
    version = settings.deployment.compose.services["loki"].image.rsplit(":", 1)[1]
    return f"docker plugin install grafana/loki-docker-driver:{version} --alias {PLUGIN_ALIAS} --grant-all-permissions"


def loki_plugin_problem(settings: Settings) -> str | None:
    """The Loki plugin missing or disabled on a reachable Docker engine; None when logs do not go
    through it, or when no engine answers here (then `make up` only prints the commands)."""
    if not settings.deployment.logging.ships_to_loki:
        return None
    docker = shutil.which("docker")
    if docker is None:
        return None
    try:
        engine = subprocess.run([docker, "info"], capture_output=True, timeout=DOCKER_TIMEOUT, check=False)
        if engine.returncode:
            return None
        plugin = subprocess.run(
            [docker, "plugin", "inspect", "--format", "{{.Enabled}}", PLUGIN_ALIAS],
            capture_output=True,
            text=True,
            timeout=DOCKER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"docker did not answer within {DOCKER_TIMEOUT:g}s: is the engine stuck?"
    if plugin.returncode or plugin.stdout.strip() != "true":
        state = "is disabled" if plugin.returncode == 0 else "is not installed"
        return (
            f"logging.driver is loki but the Docker plugin {PLUGIN_ALIAS!r} {state}: RAT's containers could not be "
            f"created. Run: {loki_plugin_install(settings)}"
            + (f" (or: docker plugin enable {PLUGIN_ALIAS})" if plugin.returncode == 0 else "")
        )
    return None


def host_path_problems(settings: Settings) -> list[str]:
    """Compose's long-syntax bind mounts do not create their source: each host folder must exist."""
    paths = attrs.asdict(settings.deployment.compose.host_paths)
    return [
        f"{path} (compose.host_paths.{key}) is not a folder on this host"
        + (": create it (`mkdir -p` it), the backup job writes rat_backup.prom there" if key == "textfile_dir" else "")
        for key, path in paths.items()
        if not Path(path).is_dir()
    ]


def preflight(settings: Settings, compose_dir: Path) -> None:
    """Every problem at once: the first as the error, the others below it."""
    checks = (loki_plugin_problem(settings), *secret_problems(settings, compose_dir), *host_path_problems(settings))
    problems = [p for p in checks if p]
    if problems:
        error = DefinitionError(problems[0], obj="preflight", file=settings.source)
        error.details = "\n".join(problems[1:])
        raise error
