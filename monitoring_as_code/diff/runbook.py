"""What the generated runbook says of each alert: its table row (condition, check, threshold) and
its section's prose. The tables of other profiles describe no deployed alert and are not read."""

from __future__ import annotations

import re

import attrs

from monitoring_as_code.diff.tree import Tree

_ROW = re.compile(
    r"^\| \[(?P<alert>[^\]]+)\]\(#[^)]*\) \| (?P<condition>.*?) \| (?P<check>.*?) \| (?P<threshold>.*?) \|"
)
_OTHER_PROFILES = "## Other profiles"
_OBJECTIVE = re.compile(r"Objective (?P<objective>\S+%) over (?P<window>\S+): an error budget of (?P<budget>\S+%)")


@attrs.frozen
class Entry:
    condition: str
    check: str
    threshold: str
    prose: str = ""  # the section's own text: no field line, no expression (those come from the rule)
    objective: dict[str, str] = attrs.field(factory=dict)  # an SLO alert's objective, window and budget


def entries(tree: Tree, relative: str) -> dict[str, Entry]:
    if not tree.exists(relative):
        return {}
    text = tree.text(relative).split(f"\n{_OTHER_PROFILES}\n", 1)[0]
    rows: dict[str, Entry] = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            rows[match["alert"]] = Entry(match["condition"], match["check"], match["threshold"])
    for section in text.split("\n## ")[1:]:
        name, _, body = section.partition("\n")
        if name in rows:
            prose = _prose(body)
            found = _OBJECTIVE.search(body)
            rows[name] = attrs.evolve(rows[name], prose=prose, objective=found.groupdict() if found else {})
    return rows


def _prose(body: str) -> str:
    kept, fenced = [], False
    for line in body.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        elif not fenced and not line.startswith("- **"):
            kept.append(line)
    return "\n".join(kept).strip()
