"""Every output there is, and every section of monitoring.yaml: one line per unit. The settings
loader and the pipeline read these lists and know no unit by name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitoring_as_code import settings as core
from monitoring_as_code import slo
from monitoring_as_code.outputs import Output
from monitoring_as_code.outputs.compose.unit import OUTPUT as COMPOSE
from monitoring_as_code.outputs.kubernetes.unit import OUTPUT as KUBERNETES
from monitoring_as_code.settings import Section, Settings

OUTPUTS: tuple[Output, ...] = (COMPOSE, KUBERNETES)
UNIT_SECTIONS: tuple[Section[Any], ...] = (slo.SECTION,)  # sections of units that are no output


def sections() -> tuple[Section[Any], ...]:
    """The SLOs' section, and each output's: a section absent here is an unknown key of monitoring.yaml."""
    return (*UNIT_SECTIONS, *(o.section for o in OUTPUTS if o.section is not None))


def by_name() -> Mapping[str, Output]:
    """Every output, by the name `outputs:` uses."""
    return {output.name: output for output in OUTPUTS}


def load_settings(path: Path) -> Settings:
    """monitoring.yaml with every unit's section."""
    return core.load_settings(path, sections())
