"""One generated tree as `mac diff` reads it: files parsed once, on demand, and the tree's format
checked before anything is compared."""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.serialize import read_yaml
from monitoring_as_code.tree_format import FORMAT, MANIFEST

_MANIFEST_KEYS = {"format", "written_by"}
# A file each output always writes: a folder holding none (and no manifest) is no generated tree.
OUTPUT_MARKS = {"compose": "prometheus/prometheus.yml", "kubernetes": "kubernetes/kustomization.yaml"}


@functools.cache
def _glob_pattern(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*/|\*|\?)", pattern)
    wildcards = {"**/": "(?:[^/]+/)*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


class Tree:
    """generated/ of one side (`label` says which: a revision or a folder): `folder` is the tree,
    or a project folder holding it."""

    def __init__(self, folder: Path, label: str) -> None:
        if (folder / "generated").is_dir():
            folder = folder / "generated"
        marks = (MANIFEST, *OUTPUT_MARKS.values())
        if not folder.is_dir() or not any((folder / mark).is_file() for mark in marks):
            raise DefinitionError("holds no generated/ tree (run `mac generate` there)", file=label)
        self.folder = folder
        self.label = label
        self._check_format()

    def _check_format(self) -> None:
        path = self.folder / MANIFEST
        if not path.is_file():
            return  # trees written before the manifest existed are format 1
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DefinitionError(f"unreadable tree manifest: {exc}", file=self.where(MANIFEST)) from None
        unknown = sorted(set(manifest) - _MANIFEST_KEYS) if isinstance(manifest, dict) else ["(not an object)"]
        if unknown or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise DefinitionError(
                f"written by another version of mac (tree format {found!r}"
                + (f", unknown fields {', '.join(unknown)}" if unknown else "")
                + f"; this mac reads format {FORMAT}): compare it with the mac that wrote it",
                file=self.where(MANIFEST),
            )

    def where(self, relative: str) -> str:
        return f"{self.label}: generated/{relative}"

    @functools.cached_property
    def files(self) -> tuple[str, ...]:
        """Every file's path relative to the tree, the manifest left out."""
        found = []
        for folder, _, names in os.walk(self.folder):
            below = os.path.relpath(folder, self.folder)
            found += [name if below == "." else f"{below}/{name}" for name in names if name != MANIFEST]
        return tuple(sorted(found))

    @functools.cache  # noqa: B019 - a tree lives for one comparison
    def glob(self, pattern: str) -> list[str]:
        """The files `pattern` matches as a path glob would (`*` within a folder, `**/` any folders),
        from the listing made once: every kind globs its files."""
        matches = _glob_pattern(pattern).fullmatch
        return [f for f in self.files if matches(f)]

    def exists(self, relative: str) -> bool:
        return (self.folder / relative).is_file()

    @functools.cache  # noqa: B019 - a tree lives for one comparison
    def raw(self, relative: str) -> bytes:
        return (self.folder / relative).read_bytes()

    @functools.cache  # noqa: B019
    def data(self, relative: str) -> Any:
        """A YAML or JSON file parsed (JSON is YAML, but json.loads is faster)."""
        if relative.endswith(".json"):
            try:
                return json.loads(self.raw(relative))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise DefinitionError(f"not valid JSON: {exc}", file=self.where(relative)) from None
        try:
            return read_yaml(self.folder / relative)
        except DefinitionError as exc:
            raise DefinitionError(exc.message, file=self.where(relative)) from None

    def text(self, relative: str) -> str:
        try:
            return self.raw(relative).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DefinitionError(f"not UTF-8 (byte {exc.start})", file=self.where(relative)) from None

    def refuse_unknown_fields(self, relative: str, what: str, fields: Any, known: frozenset[str]) -> None:
        """Refuse an object with fields this mac never writes: a tree of another version."""
        extra = sorted(set(fields) - known) if isinstance(fields, dict) else ["(not a mapping)"]
        if extra:
            raise DefinitionError(
                f"{what}: unknown fields {', '.join(map(str, extra))} (a tree written by another version of mac?)",
                file=self.where(relative),
            )
