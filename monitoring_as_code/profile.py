"""A RAT profile: one version of RAT as the monitoring sees it.

`rat.profile` in monitoring.yaml picks one. A profile is defined in content, not here: an
`alerts/` module returns a `Profile` with ratd's metric catalog for that version, and every
definition module that only fits some versions says so with a module-level
`PROFILES = ("name", ...)`; modules without it serve every profile. Adding a profile is a new
`Profile` plus the modules marked for it, with no change to the engine.
"""

from __future__ import annotations

import re

import attrs

from monitoring_as_code.catalog import RATD, Metric
from monitoring_as_code.checked import Checked

_PROFILE_NAME = re.compile(r"^[a-z][a-z0-9.-]*$")


@attrs.frozen
class Profile(Checked):
    name: str  # as `rat.profile` names it
    reference: str  # the document this profile implements
    description: str
    metrics: tuple[Metric, ...] = attrs.field(converter=tuple)  # ratd's own metrics in this version
    kind = "profile"

    def _check(self) -> None:
        if not isinstance(self.name, str) or not _PROFILE_NAME.match(self.name):
            raise ValueError(f"name {self.name!r} is not a profile name (lower case, digits, '.', '-')")
        if not self.metrics:
            raise ValueError("needs ratd's metric catalog")
        names = [m.name for m in self.metrics]
        for metric in self.metrics:
            if metric.source != RATD:
                raise ValueError(f"metric {metric.name}: source is {metric.source!r}; a profile brings ratd's metrics")
            if names.count(metric.name) > 1:
                raise ValueError(f"metric {metric.name} is listed twice")
