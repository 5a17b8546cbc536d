"""Reading the YAML files people write (monitoring.yaml, RAT's compose file, the compose record):
strict, bounded, and every failure one DefinitionError naming the file. The bottom of the engine:
it imports nothing of it but errors."""

from __future__ import annotations

import os
import stat
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from monitoring_as_code.errors import DefinitionError

# A settings file is a page of YAML; anything this large is a mistake (or an attack on the parser).
MAX_SETTINGS_BYTES = 1 << 20
MAX_SETTINGS_NESTING = 32


class _StrictLoader(yaml.SafeLoader):
    """YAML for files people write: no aliases or anchors (no "billion laughs", and no value
    that silently stands for another), and no key given twice (YAML says keys are unique;
    PyYAML would keep the last one)."""

    accept_anchors = False

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_SETTINGS_NESTING:
            # PyYAML composes recursively: a few thousand brackets overflow Python's stack.
            raise DefinitionError(f"line {event.start_mark.line + 1}: nested deeper than {MAX_SETTINGS_NESTING} levels")
        if not self.accept_anchors and (isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)):
            mark = event.start_mark
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise DefinitionError(
                f"line {mark.line + 1}: YAML anchors and aliases ({sign}{event.anchor}) are not accepted; "
                "write the value out"
            )
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth = depth

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)  # merge keys (`<<: *x`) first: they are no keys of their own
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, Hashable) and key in first_line:
                raise DefinitionError(f"line {line}: duplicate key {key!r}, first given on line {first_line[key]}")
            if isinstance(key, Hashable):
                first_line[key] = line
        return super().construct_mapping(node, deep)


def read_regular_file(path: Path, limit: int, what: str = "a settings file") -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes: a FIFO, a device
    (/dev/zero) or a directory would hang or exhaust the reader."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not wait for a writer
    except OSError as exc:
        raise DefinitionError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a FIFO, socket or device"
        raise DefinitionError(f"is {kind}, not a regular file", file=str(path))
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise DefinitionError(f"larger than {limit // 1024} KiB; not {what}", file=str(path))
    return data


class _AnchoredLoader(_StrictLoader):
    """For files whose own tool resolves anchors (RAT's compose file: `x-s3-credentials: &s3-credentials`).
    Aliases are kept as references, never expanded, so a "billion laughs" costs no memory here."""

    accept_anchors = True


def read_yaml(path: Path, *, anchors: bool = False) -> Any:
    """Parse a YAML file people write; every failure becomes a DefinitionError naming the file.
    `anchors`: accept anchors and aliases, for a file another tool reads (RAT's compose file)."""
    raw = read_regular_file(path, MAX_SETTINGS_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"not UTF-8 (byte {exc.start})", file=str(path)) from exc
    try:
        return yaml.load(text, Loader=_AnchoredLoader if anchors else _StrictLoader)
    except DefinitionError as exc:
        raise exc.located(file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DefinitionError(f"{where}YAML syntax error: {problem}", file=str(path)) from exc
