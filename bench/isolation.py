"""Benchmark entry (internal): what loading the definitions in a child process costs.

    python bench/isolation.py ROOT RUNS

In one process with the engine imported, RUNS pairs of `pipeline.load`: in the child
(isolation.py) and in this process, alternating which goes first. Prints, as JSON, the wall
seconds of each and the median of the pairs' differences: what the child adds to a command, in
wall time and in CPU time (both processes': a loaded machine inflates it less).
The parse and series caches are cleared before each load, as a new `mac` starts without them.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

from monitoring_as_code import pipeline
from monitoring_as_code.model import series_samples
from monitoring_as_code.promql import parse_promql


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the child's, once reaped)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _added(samples: dict[bool, list[float]]) -> float:
    return statistics.median(child - here for child, here in zip(samples[True], samples[False], strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("runs", type=int)
    args = parser.parse_args()
    project = pipeline.Project(args.root, args.root / "monitoring.yaml")
    seconds: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for isolated in (True, False):  # untimed: the engine's lazy imports, the bytecode
        pipeline.load(project, isolated=isolated)
    for run in range(args.runs):
        for isolated in (True, False) if run % 2 else (False, True):
            # As in a new `mac` process: each expression parsed, each series' values checked anew.
            parse_promql.cache_clear()
            series_samples.cache_clear()
            start, used = time.perf_counter(), _cpu()
            pipeline.load(project, isolated=isolated)
            seconds[isolated].append(time.perf_counter() - start)
            cpu[isolated].append(_cpu() - used)
    report = {
        "child": statistics.median(seconds[True]),
        "in_process": statistics.median(seconds[False]),
        "added": _added(seconds),
        "added_cpu": _added(cpu),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
