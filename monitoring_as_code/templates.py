"""The subset of Prometheus' Go templating that alert annotations may use.

Annotations are rendered by Prometheus, but the promtool unit tests must state the exact text an
alert carries. Expanding the same small subset here lets a scenario state the observed *value*
and the labels, and the expected annotation follows; promtool then proves the two agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

_ACTION = re.compile(r"{{(.*?)}}")
_LABEL = re.compile(r"^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$")
_PIPE = re.compile(r"^\$value\s*\|\s*(humanize|humanizePercentage)$")
_PRINTF = re.compile(r'^(?:printf\s+"%\.(\d)f"\s+\$value|\$value\s*\|\s*printf\s+"%\.(\d)f")$')

SUPPORTED = (
    '{{ $labels.NAME }}, {{ $value | humanize }}, {{ $value | humanizePercentage }}, {{ $value | printf "%.Nf" }}'
)


def _go_g4(value: float) -> str:
    # Go's %.4g and Python's agree on finite values (same exponent rule, same trailing-zero trim).
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.4g}"


def humanize(value: float) -> str:
    """Prometheus' `humanize`: SI prefix and four significant digits."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return _go_g4(value)
    prefix = ""
    if abs(value) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix, value = p, value / 1000
    else:
        for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(value) >= 1:
                break
            prefix, value = p, value * 1000
    return _go_g4(value) + prefix


def _expand_action(action: str, labels: Mapping[str, str], value: float | None) -> str:
    action = action.strip()
    if match := _LABEL.match(action):
        return labels.get(match.group(1), "")
    if value is None:
        raise ValueError(f"template {{{{ {action} }}}} needs the alert's value")
    if match := _PIPE.match(action):
        return humanize(value) if match.group(1) == "humanize" else _go_g4(value * 100) + "%"
    if match := _PRINTF.match(action):
        digits = int(match.group(1) or match.group(2))
        return f"{value:.{digits}f}"
    raise ValueError(f"unsupported template {{{{ {action} }}}}; use one of: {SUPPORTED}")


def check_template(text: str) -> None:
    """Raise ValueError when `text` uses templating outside the supported subset."""
    for action in _ACTION.findall(text):
        _expand_action(action, {}, 0.0)


def uses_value(text: str) -> bool:
    return any("$value" in action for action in _ACTION.findall(text))


def expand(text: str, labels: Mapping[str, str], value: float | None) -> str:
    return _ACTION.sub(lambda m: _expand_action(m.group(1), labels, value), text)
