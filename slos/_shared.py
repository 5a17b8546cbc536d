"""What the SLO modules share: an SLO with its numbers from monitoring.yaml's `slos`."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.settings import Settings
from monitoring_as_code.slo import SECTION as SLOS
from monitoring_as_code.slo import SLO


def slo(settings: Settings, name: str, **fields: Any) -> SLO:
    """The SLO `name`, its objective, compliance window and burn-rate windows from settings."""
    s = settings.of(SLOS)
    if name not in s.objectives:
        raise DefinitionError(f"monitoring.yaml's slos.objectives has no {name!r}", obj=f"SLO {name}")
    return SLO(
        name=name,
        objective=s.objectives[name],
        compliance_window=s.compliance_window,
        page=s.page,
        ticket=s.ticket,
        **fields,
    )
