"""amtool: the Alertmanager configuration."""

from __future__ import annotations

from pathlib import Path

from monitoring_as_code.validate.tools import failure, require, run

CONFIG = "alertmanager/alertmanager.yml"


def check_config(tree: Path) -> None:
    require(tree, CONFIG)
    result = run("amtool", ["check-config", CONFIG], tree)
    if result.returncode:
        raise failure(CONFIG, "amtool check-config", result)
