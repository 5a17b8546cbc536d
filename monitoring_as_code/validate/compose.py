"""The docker-compose override, merged by the real Docker Compose CLI onto RAT's compose file
(`docker compose config` needs no engine): the file `compose.rat.file` names with RAT's own override
beside it where it is here, else a stand-in of RAT's project rebuilt from the tree's record of it
(RAT's services on their networks, its health checks and named networks: a service or network the
override assumes and RAT lacks fails the merge; RAT's images, volumes and environment are not
checked then). And its mounts of generated/."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose.rat_compose import RatCompose, compose_files, docker_compose
from monitoring_as_code.outputs.compose.record import parse_record
from monitoring_as_code.outputs.compose.settings import PROJECT_DIR_VARIABLE
from monitoring_as_code.render.compose import GENERATED_DIR_KEY
from monitoring_as_code.serialize import from_yaml
from monitoring_as_code.validate import verdicts
from monitoring_as_code.validate.tools import failure, require, run_command, verdict_key

STAND_IN_IMAGE = "busybox:1.36"  # RAT's services only need an image for the merge to be complete


def _override(tree: Path, override: str) -> dict[str, Any]:
    data = from_yaml(require(tree, override).read_text())
    if not isinstance(data, dict):
        raise DefinitionError("is not a mapping", file=override)
    return data


def stand_in_base(rat: RatCompose) -> dict[str, Any]:
    """RAT's compose file as far as `rat` knows it: its services on their networks, a health check
    where RAT has one, and its named networks. Nothing is taken from the override: a network or a
    service the override assumes and RAT lacks fails the merge."""
    services: dict[str, Any] = {}
    for name, networks in rat.service_networks.items():
        services[name] = {"image": STAND_IN_IMAGE, "networks": list(networks)}
        if name in rat.healthchecked:
            services[name]["healthcheck"] = {"test": ["CMD", "true"]}
    return {"name": "rat", "services": services, "networks": {k: {"name": v} for k, v in rat.networks.items()}}


def check_merge(tree: Path, override: str, record: str, rat_file: Path | None) -> None:
    """`docker compose -f RAT [-f RAT's override] -f override config`, in the order `make up` layers
    them: onto RAT's real files where `rat_file` is here, else onto the tree's record of them."""
    _override(tree, override)
    entry = None
    with tempfile.TemporaryDirectory(prefix="mac-compose-") as tmp:
        if rat_file is not None and rat_file.is_file():
            # Not cached: RAT's files may name others (env files) whose bytes the key would miss.
            files = compose_files(rat_file)
            onto = f"{rat_file}" + (f" with {files[1].name}" if len(files) > 1 else "")
        else:
            rat = parse_record(from_yaml(require(tree, record).read_text()))
            stand_in = Path(tmp) / "infra" / "docker-compose.yml"
            stand_in.parent.mkdir()
            stand_in.write_text(yaml.safe_dump(stand_in_base(rat)))
            files, onto = (stand_in,), f"RAT's project rebuilt from {record}"
            # Keyed without the project folder: it only fills in mount sources, which `config`
            # does not open (check_generated_mounts checks them).
            stand_in_file = str(stand_in.relative_to(tmp))
            inputs = verdicts.files_digest(Path(tmp), [stand_in_file]) + verdicts.files_digest(tree, [override])
            entry = verdict_key("docker-compose", ["config", "--quiet"], None, inputs, docker_compose())
            if entry is not None and verdicts.passed(entry):
                return
        layers = [arg for file in (*files, (tree / override).resolve()) for arg in ("-f", str(file))]
        command = [docker_compose(), *layers, "config", "--quiet"]
        env = {PROJECT_DIR_VARIABLE: str(tree.parent.resolve())}
        result = run_command("docker-compose", command, files[0].parent, override, env=env)
    if result.returncode:
        raise failure(override, f"docker compose config (onto {onto})", result)
    if entry is not None:
        verdicts.record_pass(entry)


def check_generated_mounts(tree: Path, override_file: str) -> None:
    """Every bind mount of generated/ names a file or folder that this tree has."""
    override = _override(tree, override_file)
    generated = PurePosixPath(override.get(GENERATED_DIR_KEY, "") or "/nowhere")
    for name, service in (override.get("services") or {}).items():
        for volume in service.get("volumes") or []:
            source = PurePosixPath(volume.get("source", ""))
            if volume.get("type") != "bind" or not source.is_relative_to(generated):
                continue
            if not (tree / source.relative_to(generated)).exists():
                raise DefinitionError(
                    f"mounts {source}, which generated/ does not have", obj=f"service {name}", file=override_file
                )
