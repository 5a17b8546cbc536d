"""The `limits` section of monitoring.yaml: bounds on the work a run does for untrusted input
(docs/hardening.md, "Limits"). A module of its own, importing next to nothing, so that `mac diff`
reads its tool time limit without the rest of the settings (their schema, every unit's section)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from monitoring_as_code.duration import parse_duration
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.serialize import read_yaml


@attrs.frozen
class Limits:
    definition_timeout: float  # importing a definition module, or its define(), at most this long
    tool_timeout: float  # each run of an external tool (promtool, amtool, ...)


DEFAULT_LIMITS = {"definition_timeout": "30s", "tool_timeout": "5m"}


def parse_limits(given: Mapping[str, float]) -> Limits:
    """The limits from `given` (seconds, as the schema-checked settings hold them), the defaults for the rest."""
    limits = {**{key: parse_duration(text) for key, text in DEFAULT_LIMITS.items()}, **given}
    for key, seconds in limits.items():
        if seconds <= 0:
            raise DefinitionError("must be longer than 0s", obj=f"settings limits.{key}")
    return Limits(**limits)


def tool_timeout(path: Path) -> float:
    """`limits.tool_timeout` of the settings at `path`, read alone (the rest of the file is not
    checked: the command reading it uses nothing else)."""
    data: Any = read_yaml(path)
    given = (data.get("limits") if isinstance(data, dict) else None) or {}
    text = given.get("tool_timeout") if isinstance(given, dict) else None
    try:
        seconds = {} if text is None else {"tool_timeout": parse_duration(text)}
        return parse_limits(seconds).tool_timeout
    except ValueError as exc:
        raise DefinitionError(str(exc), obj="settings limits.tool_timeout", file=str(path)) from None
    except DefinitionError as exc:
        raise exc.located(file=str(path)) from None
