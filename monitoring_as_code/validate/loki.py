"""Loki's configuration. No Loki binary installs here (no Debian or PyPI package ships one), so the
file is checked against a schema written from Loki 3's configuration reference, plus the rules
Loki 3 enforces at start-up that a schema cannot express."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from monitoring_as_code.duration import parse_duration
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.serialize import from_yaml
from monitoring_as_code.validate.tools import require


@functools.cache
def _schema() -> dict[str, Any]:
    return json.loads(resources.files("monitoring_as_code").joinpath("loki.schema.json").read_text())


def _load(tree: Path, config_file: str) -> dict[str, Any]:
    config = from_yaml(require(tree, config_file).read_text())
    if not isinstance(config, dict):
        raise DefinitionError("is not a mapping", file=config_file)
    return config


def check_schema(tree: Path, config_file: str) -> None:
    config = _load(tree, config_file)
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise DefinitionError(error.message, obj=where, file=config_file)


def check_start_up_rules(tree: Path, config_file: str) -> None:
    """What Loki 3 refuses when it starts (or silently gets wrong) with a well-formed file."""
    config = _load(tree, config_file)
    periods = config.get("schema_config", {}).get("configs", [])
    starts = [str(p.get("from")) for p in periods]
    if starts != sorted(set(starts)):
        raise DefinitionError("periods must start on strictly increasing dates", obj="schema_config", file=config_file)
    active = periods[-1] if periods else {}
    structured_metadata = config.get("limits_config", {}).get("allow_structured_metadata", True)
    if structured_metadata and (active.get("store"), active.get("schema")) != ("tsdb", "v13"):
        raise DefinitionError(
            "structured metadata (on by default in Loki 3) needs the active period on tsdb and v13",
            obj="schema_config",
            file=config_file,
        )
    compactor = config.get("compactor", {})
    if compactor.get("retention_enabled"):
        if not compactor.get("delete_request_store"):
            raise DefinitionError("retention needs delete_request_store in Loki 3", obj="compactor", file=config_file)
        retention = parse_duration(config.get("limits_config", {}).get("retention_period", "0s"))
        for period in periods:
            index = parse_duration(period["index"]["period"])
            if index != 86400 or retention < index or retention % index:
                raise DefinitionError(
                    f"retention_period must be whole days over a 24h index period (index {period['index']['period']})",
                    obj="limits_config.retention_period",
                    file=config_file,
                )
    prefix = config.get("common", {}).get("path_prefix")
    directories = [
        *config.get("common", {}).get("storage", {}).get("filesystem", {}).values(),
        compactor.get("working_directory"),
    ]
    for directory in filter(None, directories):
        # Everything Loki writes must land under path_prefix: the one folder the volume persists.
        if prefix is None or not Path(directory).is_relative_to(prefix):
            raise DefinitionError(f"{directory} is outside path_prefix {prefix}", obj="common", file=config_file)
