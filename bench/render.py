"""Benchmark entry (internal): the in-process part of `mac generate` without the external tools.

    python bench/render.py ROOT            load, lint and render in memory
    python bench/render.py ROOT --static   ... then write to a temporary folder and run the
                                           validators that need no external tool (schemas,
                                           Grafana and Loki checks, compose mounts)

Prints the seconds each phase took, as JSON, on stdout.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

START = time.perf_counter()

from monitoring_as_code import pipeline  # noqa: E402 - imported after START: the import is a phase
from monitoring_as_code.validate.validators import Validators, validate_tree  # noqa: E402
from monitoring_as_code.writer import write_files  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--static", action="store_true", help="also write and run the static validators")
    args = parser.parse_args()
    project = pipeline.Project(args.root, args.root / "monitoring.yaml")
    phases = {"import": time.perf_counter() - START}

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = now - since
        return now

    now = time.perf_counter()
    bundle = pipeline.load(project)
    now = phase("load", now)
    problems = pipeline.lint(bundle)
    if problems:
        raise SystemExit(f"lint: {problems[0]} (and {len(problems) - 1} more)")
    now = phase("lint", now)
    files = pipeline.render(bundle)
    now = phase("render", now)
    if args.static:
        with tempfile.TemporaryDirectory(prefix="mac-bench-") as tmp:
            write_files(files, Path(tmp), durable=False)
            now = phase("write", now)
            outputs = pipeline.enabled_outputs(bundle.settings)
            static = sum((o.validators(project, bundle.settings) for o in outputs), Validators()).static
            errors = validate_tree(Path(tmp), static)
            if errors:
                raise SystemExit(f"validation: {errors[0]}")
            phase("static validation", now)
    print(json.dumps({"files": len(files), "phases": phases}))


if __name__ == "__main__":
    main()
