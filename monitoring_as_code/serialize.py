"""The one serializer: plain dicts to stable YAML or JSON text (same input, same bytes)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml
from yaml.emitter import ScalarAnalysis

from monitoring_as_code.errors import DefinitionError

_BREAKS = frozenset("\n\x85\u2028\u2029")  # what PyYAML takes for line breaks
# libyaml's parser where PyYAML has it: the same data, five times faster than the Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(yaml.SafeDumper):
    """Block style, insertion order kept, multi-line strings as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as Prometheus' and Grafana's docs write them.
        super().increase_indent(flow, False)

    def analyze_scalar(self, scalar: str) -> ScalarAnalysis:
        return _analysis(scalar)

    def ignore_aliases(self, data: Any) -> bool:
        # One object in two places (equal objects are one once rebuilt, plain.py) is written out
        # twice: no anchors, whatever the identity of the data.
        return True

    def write_plain(self, text: str, split: bool = True) -> None:
        # PyYAML writes a plain scalar character by character, to fold long lines and keep line
        # breaks (a fifth of the time emitting YAML); without either, it writes just this.
        if self.encoding or not text or self.column + 1 + len(text) > self.best_width or not _BREAKS.isdisjoint(text):
            super().write_plain(text, split)
            return
        if self.root_context:
            self.open_ended = True
        if not self.whitespace:
            text = " " + text
        self.column += len(text)
        self.stream.write(text)
        self.whitespace = self.indention = False


@functools.lru_cache(maxsize=1 << 16)
def _analysis(scalar: str) -> ScalarAnalysis:
    """PyYAML's analysis of a scalar, which depends on its text alone (to_yaml always allows
    unicode): keys and values repeat across the rule and test files, and analysing each
    occurrence again was a quarter of the time spent emitting YAML."""
    return yaml.SafeDumper.analyze_scalar(_ANALYSER, scalar)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_ANALYSER = _Dumper(None, allow_unicode=True)


# Emitted YAML by the repr of its data (plain data: repr tells apart what YAML writes apart, such
# as 1, 1.0, True and "1"). Outputs write the same rule tests for every alert they share, and
# emitting YAML costs a hundred times more than repr.
_EMITTED: dict[str, str] = {}
_EMITTED_LIMITS = (4096, 16_384)  # entries, and the longest data kept (characters of its repr)


def to_yaml(data: Any, header: str = "") -> str:
    key = repr(data)
    body = _EMITTED.get(key)
    if body is None:
        body = yaml.dump(
            data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096
        )
        entries, longest = _EMITTED_LIMITS
        if len(_EMITTED) < entries and len(key) <= longest:
            _EMITTED[key] = body
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + body


def from_yaml(text: str) -> Any:
    """Parse YAML safely (plain data only): the settings, and the generated files validators read."""
    return yaml.load(text, Loader=_LOADER)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely; every failure becomes a DefinitionError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"not UTF-8 (byte {exc.start})", file=str(path)) from exc
    try:
        return from_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DefinitionError(f"{where}YAML syntax error: {problem}", file=str(path)) from exc
