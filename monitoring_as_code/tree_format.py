"""The manifest `generate` writes at the top of generated/: which format of tree this mac writes,
so that a reader (`mac diff`) refuses a tree it would misread instead of reporting nonsense."""

from __future__ import annotations

from monitoring_as_code.serialize import to_json

MANIFEST = ".mac-tree.json"
# Bump when a generated file changes shape (a new field, a moved file): readers of the old
# format then say so rather than compare fields they do not know.
FORMAT = 1


def render_manifest() -> str:
    return to_json({"format": FORMAT, "written_by": "monitoring-as-code"})
