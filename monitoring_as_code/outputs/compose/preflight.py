"""`mac preflight`, run by `make up` before it starts anything: every problem that would make the
first `up` fail, or make it quietly go wrong, is found on the Docker host first. The secret files
(secrets.py), every host path the generated override mounts, and the Loki logging plugin
when logs go through it: a service whose logging driver Docker lacks, or whose bind mount has no
source, is never created, and an `up` that stops there may already have recreated RAT's."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitoring_as_code.catalog import BACKUP_METRIC
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose.rat_compose import compose_files
from monitoring_as_code.outputs.compose.secrets import secret_problems
from monitoring_as_code.outputs.compose.settings import PROJECT_DIR
from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.settings import Settings

PLUGIN_ALIAS = "loki"  # the name `logging.driver: loki` refers to
DOCKER_TIMEOUT = 20.0


def loki_plugin_install(settings: Settings) -> str:
    """The install command: the driver is released with each Loki version, so the one of our Loki."""
    version = settings.of(COMPOSE_SETTINGS).services["loki"].image.rsplit(":", 1)[1]
    return f"docker plugin install grafana/loki-docker-driver:{version} --alias {PLUGIN_ALIAS} --grant-all-permissions"


def loki_plugin_problem(settings: Settings) -> str | None:
    """The Loki plugin missing or disabled on a reachable Docker engine; None when logs do not go
    through it, or when no engine answers here (then `make up` only prints the commands)."""
    if not settings.logging.ships_to_loki:
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


def mount_problems(override: Mapping[str, Any], root: Path) -> list[str]:
    """Compose's long-syntax bind mounts do not create their source, and a secret's file must be
    there: every host path the generated override mounts must exist, as `up` will resolve it."""
    problems = []
    for name, service in sorted((override.get("services") or {}).items()):
        for volume in service.get("volumes") or ():
            if volume.get("type") == "bind":
                source = _on_host(volume["source"], root)
                if not source.exists():
                    problems.append(f"{source} (mounted by {name} at {volume['target']}) does not exist on this host")
    for name, secret in sorted((override.get("secrets") or {}).items()):
        path = _on_host(secret["file"], root)
        if not path.exists():
            problems.append(f"{path} (the Compose secret {name}) does not exist on this host")
    return problems


def _on_host(path: str, root: Path) -> Path:
    return Path(path.replace(PROJECT_DIR, str(root.absolute()), 1))


def rat_compose_file(settings: Settings, root: Path, given: Path | None) -> tuple[Path, ...]:
    """RAT's compose files to layer the override on: compose.rat.file (relative to the project
    folder), else `given`; with the override Compose merges onto it by itself."""
    shown = settings.of(COMPOSE_SETTINGS).rat.file
    path = root / shown if shown is not None else given
    if path is None:
        raise DefinitionError("set compose.rat.file in monitoring.yaml, or give --rat-compose", obj="preflight")
    if not path.is_file():
        where = "settings compose.rat.file" if shown is not None else "--rat-compose"
        raise DefinitionError(f"RAT's compose file {path} does not exist", obj=where)
    return compose_files(path)


def backup_alerts_note(settings: Settings) -> str | None:
    """One line while the backup alerts are off (no error: RAT writes no backup metric, so they are
    off until the operator's backup job writes it), None once they are on."""
    if settings.of(COMPOSE_SETTINGS).backup_alerts:
        return None
    return (
        f"note: the backup alerts are off (nothing in RAT writes {BACKUP_METRIC}); once your backup job "
        'writes it (docs/compose.md, "Backups"), set compose.backup_alerts: true in monitoring.yaml'
    )


def preflight(settings: Settings, root: Path, override: Mapping[str, Any]) -> None:
    """Every problem at once: the first as the error, the others below it. `override`: the
    generated docker-compose override, as `up` will read it."""
    checks = (loki_plugin_problem(settings), *secret_problems(settings, root), *mount_problems(override, root))
    problems = list(dict.fromkeys(p for p in checks if p))
    if problems:
        error = DefinitionError(problems[0], obj="preflight", file=settings.source)
        error.details = "\n".join(problems[1:])
        raise error
