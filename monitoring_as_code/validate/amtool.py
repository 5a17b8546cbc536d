"""amtool: the Alertmanager configuration."""

from __future__ import annotations

from pathlib import Path

from monitoring_as_code.validate.tools import failure, require, run


def check_config(tree: Path, config: str) -> None:
    require(tree, config)
    result = run("amtool", ["check-config", config], tree)
    if result.returncode:
        raise failure(config, "amtool check-config", result)
