"""The report in three formats: text for a terminal, Markdown for a pull-request comment (a
summary line, one collapsible section per kind, before/after previews of each changed dashboard),
and JSON."""

from __future__ import annotations

import base64
import html
import json
import re
from collections import Counter
from pathlib import Path

from monitoring_as_code.diff import dashboards
from monitoring_as_code.diff.change import ADDED, REMOVED, Change, shown
from monitoring_as_code.diff.run import Report
from monitoring_as_code.diff.tree import Tree

_INLINE = 70  # longer values, or several lines, are shown as a before/after block
_PANEL_ID = re.compile(r"^panel (\S+) ")
_MARK = "#e02f44"


def headline(report: Report) -> str:
    sides = f"{report.before.label} -> {report.after.label}"
    if not report.changed_files:
        return f"{sides}: no changes"
    if report.formatting_only:
        return f"{sides}: only generated formatting changed ({len(report.changed_files)} files); nothing in meaning"
    counts = Counter(c.kind for c in report.changes)
    total = len(report.changes)
    kinds = ", ".join(f"{kind} {count}" for kind, count in counts.items())
    return f"{sides}: {total} change{'' if total == 1 else 's'} ({kinds})"


def _by_kind(report: Report) -> dict[str, list[Change]]:
    kinds: dict[str, list[Change]] = {}
    for change in report.changes:
        kinds.setdefault(change.kind, []).append(change)
    return kinds


def _where(change: Change) -> str:
    return f" [{', '.join(change.copies)} only]" if change.copies else ""


def _lines(change: Change) -> list[str]:
    """A change as plain lines: a one-liner, or a heading with the before and after below it."""
    subject = " / ".join(change.subject)
    if change.what in (ADDED, REMOVED):
        detail = change.after if change.what == ADDED else change.before
        return [f"{subject}: {change.what}{_where(change)}" + (f": {detail}" if detail else "")]
    before, after = shown(change.before), shown(change.after)
    if "\n" not in before + after and len(before) + len(after) <= _INLINE:
        return [f"{subject}: {change.field}: {before} -> {after}{_where(change)}"]
    return [
        f"{subject}: {change.field}{_where(change)}:",
        *(f"  - {line}" for line in before.splitlines() or [""]),
        *(f"  + {line}" for line in after.splitlines() or [""]),
    ]


def as_text(report: Report) -> str:
    out = [headline(report)]
    for kind, changes in _by_kind(report).items():
        out.append(f"{kind}:")
        out += [f"  {line}" for change in changes for line in _lines(change)]
    return "\n".join(out) + "\n"


def as_json(report: Report) -> str:
    data = {
        "before": report.before.label,
        "after": report.after.label,
        "formatting_only": report.formatting_only,
        "changed_files": list(report.changed_files),
        "changes": [c.as_json() for c in report.changes],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def preview(tree: Tree, uid: str) -> str | None:
    """The tree's preview of dashboard `uid` (generated/**/previews/<uid>.svg), if it has one."""
    found = tree.glob(f"**/previews/{uid}.svg")
    return found[0] if found else None


def marked(svg: str, panel_ids: list[str]) -> str:
    """A copy of a preview with the panels `panel_ids` outlined (each panel is a <g data-panel-id>)."""
    if not panel_ids:
        return svg
    selectors = ", ".join(f'g[data-panel-id="{html.escape(i)}"]' for i in panel_ids)
    style = (
        f"<style>{selectors} {{ filter: drop-shadow(0 0 6px {_MARK}); }} "
        f"{', '.join(f'{s} > rect' for s in selectors.split(', '))} {{ stroke: {_MARK}; stroke-width: 4px; }}</style>"
    )
    opening = re.search(r"<svg\b[^>]*>", svg)
    return svg if opening is None else svg[: opening.end()] + style + svg[opening.end() :]


def _image(svg: str, name: str, assets: Path | None) -> str:
    if assets is None:
        source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    else:
        assets.mkdir(parents=True, exist_ok=True)
        (assets / name).write_text(svg, encoding="utf-8")
        source = str(assets / name)
    return f'<img src="{html.escape(source)}" alt="{html.escape(name)}" width="100%">'


def _md_value(value: str) -> str:
    return "<code>" + html.escape(value).replace("\n", "<br>") + "</code>"


def _md_change(change: Change) -> str:
    subject = " / ".join(change.subject)
    where = _where(change)
    if change.what in (ADDED, REMOVED):
        detail = change.after if change.what == ADDED else change.before
        return f"- **{html.escape(subject)}**: {change.what}{where}" + (f": {_md_value(detail)}" if detail else "")
    before, after = shown(change.before), shown(change.after)
    if "\n" not in before + after and len(before) + len(after) <= _INLINE:
        return f"- **{html.escape(subject)}**: {change.field}: {_md_value(before)} → {_md_value(after)}{where}"
    block = "\n".join([*(f"- {line}" for line in before.splitlines()), *(f"+ {line}" for line in after.splitlines())])
    return (
        f"- **{html.escape(subject)}**: {change.field}{where}:\n\n  ```diff\n"
        + "\n".join(f"  {line}" for line in block.splitlines())
        + "\n  ```"
    )


def _previews(report: Report, changes: list[Change], assets: Path | None) -> list[str]:
    out = []
    for uid in sorted({c.subject[0] for c in changes}):
        panels = dashboards.changed_panels(changes, uid)
        ids = [m[1] for p in panels if (m := _PANEL_ID.match(p))]
        pair = []
        for side, tree in (("before", report.before), ("after", report.after)):
            relative = preview(tree, uid)
            if relative is not None:
                pair.append(
                    f"<td>{side}<br>{_image(marked(tree.text(relative), ids), f'{uid}-{side}.svg', assets)}</td>"
                )
        if pair:
            listed = "<br>".join(html.escape(p) for p in panels) or "the dashboard's own settings"
            out += [f"<table><tr>{''.join(pair)}</tr></table>", "", f"Changed on **{uid}** (outlined): {listed}", ""]
    return out


def as_markdown(report: Report, assets: Path | None = None) -> str:
    """`assets`: a folder for the previews' marked copies (linked); without it they are embedded."""
    out = [f"**mac diff** {html.escape(headline(report))}", ""]
    for kind, changes in _by_kind(report).items():
        out += [f"<details><summary>{html.escape(kind)} ({len(changes)})</summary>", ""]
        out += [_md_change(change) for change in changes]
        out.append("")
        if kind == dashboards.KIND:
            out += _previews(report, changes, assets)
        out += ["</details>", ""]
    return "\n".join(out)
