"""blackbox_exporter: its own --config.check, and the prober names it lets through."""

from __future__ import annotations

from pathlib import Path

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import PROBERS
from monitoring_as_code.serialize import from_yaml
from monitoring_as_code.validate import verdicts
from monitoring_as_code.validate.tools import failure, require, run_cached


def check_config(tree: Path, config: str) -> None:
    require(tree, config)
    options = [f"--config.file={config}", "--config.check"]
    inputs = verdicts.files_digest(tree, [config])
    result = run_cached("prometheus-blackbox-exporter", options, tree, inputs, file=config)
    if result.returncode:
        raise failure(config, "prometheus-blackbox-exporter --config.check", result)


def check_probers(tree: Path, config_file: str) -> None:
    """--config.check accepts any prober name (`prober: tcpx` passes); the exporter then fails
    every probe of that module at run time. Reject unknown probers here."""
    config = from_yaml(require(tree, config_file).read_text()) or {}
    for name, module in (config.get("modules") or {}).items():
        prober = (module or {}).get("prober")
        if prober not in PROBERS:
            raise DefinitionError(
                f"prober {prober!r} is not one of {', '.join(PROBERS)}", obj=f"module {name}", file=config_file
            )
