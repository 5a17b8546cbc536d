"""amtool: the Alertmanager configuration."""

from __future__ import annotations

from pathlib import Path

from monitoring_as_code.validate import verdicts
from monitoring_as_code.validate.tools import failure, require, run_cached


def check_config(tree: Path, config: str) -> None:
    require(tree, config)
    result = run_cached("amtool", ["check-config", config], tree, verdicts.tree_digest(tree))  # it reads the templates
    if result.returncode:
        raise failure(config, "amtool check-config", result)
