"""Benchmark entry (internal): `mac diff` of two generated trees in one process, by phase.

    python bench/diff.py BEFORE AFTER

Phases (seconds, as JSON on stdout): `import` of the diff modules; `compare`, every kind but who
gets paged (reading, parsing and comparing both trees) and the text report; `routing`, who gets
paged alone, which is mostly amtool starting once per alert and side (8 at a time); and
`amtool_start`, the median of one `amtool config routes test` run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

START = time.perf_counter()

from monitoring_as_code.diff import routing  # noqa: E402 - imported after START: the import is a phase
from monitoring_as_code.diff.report import as_text  # noqa: E402
from monitoring_as_code.diff.run import KINDS, compare_trees  # noqa: E402
from monitoring_as_code.diff.tree import Tree  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    phases = {"import": time.perf_counter() - START}
    now = time.perf_counter()
    before, after = Tree(args.before, "before"), Tree(args.after, "after")
    report = compare_trees(before, after, tuple(k for k in KINDS if k.compare is not routing.compare))
    as_text(report)
    phases["compare"] = time.perf_counter() - now
    now = time.perf_counter()
    # On the trees already parsed: what it adds is amtool.
    paged = routing.compare(before, after, frozenset(report.changed_files))
    phases["routing"] = time.perf_counter() - now
    config = before.folder / "alertmanager/alertmanager.yml"
    starts = []
    for _ in range(5):
        now = time.perf_counter()
        routing.receivers(config, {"alertname": "Watchdog"}, str(config))
        starts.append(time.perf_counter() - now)
    phases["amtool_start"] = statistics.median(starts)
    print(json.dumps({"phases": phases, "changes": len(report.changes) + len(paged)}))


if __name__ == "__main__":
    main()
