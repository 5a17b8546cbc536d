"""blackbox.yml: the probe modules."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.definitions import Definitions
from monitoring_as_code.duration import format_duration


def render_blackbox_config(defs: Definitions) -> dict[str, Any]:
    modules: dict[str, Any] = {}
    for module in defs.blackbox_modules:
        body: dict[str, Any] = {"prober": module.prober, "timeout": format_duration(module.timeout)}
        if module.http:
            body["http"] = dict(module.http)
        modules[module.name] = body
    return {"modules": modules}
