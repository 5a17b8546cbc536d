"""A change in meaning, and the comparison every kind shares: items by name, fields by name."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

Fields = dict[str, Any]  # field name -> a comparable value (equal values mean no change)
ADDED, REMOVED, CHANGED = "added", "removed", "changed"
_DIGITS = re.compile(r"(\d+)")


@attrs.frozen
class Change:
    kind: str  # the kind's title: "alerts", "dashboards", ...
    subject: tuple[str, ...]  # what changed: ("RatHostDiskFull",), ("rat-overview", "panel 7 Heap")
    what: str  # ADDED, REMOVED or CHANGED
    field: str = ""  # for CHANGED: the field
    before: Any = None
    after: Any = None
    copies: tuple[str, ...] = ()  # the outputs it was seen in, when not every output shows it

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": list(self.subject),
            "what": self.what,
            **({"field": self.field, "before": self.before, "after": self.after} if self.what == CHANGED else {}),
            **({"summary": self.after if self.what == ADDED else self.before} if self.what != CHANGED else {}),
            **({"outputs": list(self.copies)} if self.copies else {}),
        }


def shown(value: Any) -> str:
    """A value as a reviewer reads it: strings bare, the rest as compact JSON."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def compare_items(
    kind: str,
    before: Mapping[str, Fields],
    after: Mapping[str, Fields],
    summary: Callable[[Fields], str] = lambda fields: "",
    subject: Callable[[str], tuple[str, ...]] = lambda name: (name,),
) -> list[Change]:
    """Items present on one side only, and each field that differs (a field on one side only
    compares with None)."""
    changes = []
    for name in sorted(set(before) | set(after), key=_natural):
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            changes.append(Change(kind, subject(name), ADDED, after=summary(new)))
        elif new is None and old is not None:
            changes.append(Change(kind, subject(name), REMOVED, before=summary(old)))
        elif old is not None and new is not None:
            for field in sorted(set(old) | set(new), key=_natural):
                if old.get(field) != new.get(field):
                    changes.append(Change(kind, subject(name), CHANGED, field, old.get(field), new.get(field)))
    return changes


def _natural(text: str) -> tuple[Any, ...]:
    """Sort "panel 10" after "panel 9": digits compare as numbers (every other part is text)."""
    return tuple(int(part) if index % 2 else part for index, part in enumerate(_DIGITS.split(text)))


# Lists of mappings named by one of these keys compare by that name, not by position: an item
# inserted at the top is one addition, not a change of every item after it.
NAME_KEYS = ("name", "job_name", "alert", "record", "refId")


def flatten(value: Any, prefix: str = "") -> Fields:
    """Nested data as dotted paths to leaves (lists of scalars stay whole), so that a generic
    comparison names the one leaf that changed."""
    if isinstance(value, Mapping):
        if not value:
            return {prefix: {}} if prefix else {}
        out: Fields = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{_list_key(item, index)}]"))
        return out
    return {prefix: value}


def _list_key(item: Mapping[str, Any], index: int) -> str:
    for key in NAME_KEYS:
        if isinstance(item.get(key), str):
            return item[key]
    return str(index)


def merge_copies(copies: Iterable[tuple[str, list[Change]]]) -> list[Change]:
    """The changes each output's copy shows, each told once: a change every copy shows names no
    output; one only some copies show names those."""
    seen: dict[tuple[str, ...], tuple[Change, list[str]]] = {}
    names = []
    for output, changes in copies:
        names.append(output)
        for change in changes:
            key = (change.kind, *change.subject, change.what, change.field, shown(change.before), shown(change.after))
            seen.setdefault(key, (change, []))[1].append(output)
    return [
        attrs.evolve(change, copies=() if len(outputs) == len(names) else tuple(outputs))
        for change, outputs in seen.values()
    ]
