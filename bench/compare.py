"""`bench/compare.py REV`: the 10x ratios of `make bench` (the large synthetic project against the
small one, render + static validation and a cold `mac generate`) for the git revision REV and for
this working tree, measured in one run with their runs alternated, so that "the ratios do not get
worse" is judged on one machine under one load rather than across sessions' results. The ratio of
CPU seconds (the process tree's) is printed beside the wall-time one: a busy machine moves it least.

Each tree builds its synthetic projects with its own bench/synthetic.py and runs its own code
(PYTHONPATH), with this venv's libraries."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import run

PYTHON = sys.executable


def _python(tree: Path, *args: str) -> list[str]:
    return ["env", f"PYTHONPATH={tree}:{tree / 'bench'}", PYTHON, *args]


def _projects(tree: Path, work: Path) -> dict[str, Path]:
    roots = {scale: work / f"scale-{scale}" for scale in run.SCALES}
    script = "import sys, synthetic\nfrom pathlib import Path\n" + "".join(
        f"synthetic.scale_project(Path({str(tree)!r}), Path({str(roots[s])!r}), {d}, {a})\n"
        for s, (d, a) in run.SCALES.items()
    )
    subprocess.run(_python(tree, "-c", script), check=True)
    return roots


def _commands(tree: Path, root: Path) -> dict[str, list[str]]:
    # A tree from before the verdict cache has no --no-cache: every run of it is cold anyway.
    cold = ["--no-cache"] if "--no-cache" in (tree / "monitoring_as_code" / "cli.py").read_text() else []
    return {
        "render + static": _python(tree, str(tree / "bench" / "render.py"), str(root), "--static"),
        "generate": _python(tree, "-m", "monitoring_as_code", *cold, "--root", str(root), "generate"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", help="the git revision to compare this working tree with")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command (default 3)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mac-compare-") as scratch:
        work = Path(scratch)
        old = work / "tree"
        subprocess.run(
            ["git", "-C", str(run.REPO), "worktree", "add", "-q", "--detach", str(old), options.revision], check=True
        )
        try:
            trees = {options.revision: old, "working tree": run.REPO}
            roots = {name: _projects(tree, work / f"projects-{n}") for n, (name, tree) in enumerate(trees.items())}
            commands = {
                (name, kind, scale): command
                for name, tree in trees.items()
                for scale, root in roots[name].items()
                for kind, command in _commands(tree, root).items()
            }
            results = run.measure_alternately({" / ".join(key): c for key, c in commands.items()}, work, options.runs)
            measured = dict(zip(commands, results, strict=True))
            print(f"\n{'tree':>14}  {'command':<16} {'small s':>8} {'large s':>8} {'ratio':>6} {'CPU ratio':>9}")
            for name in trees:
                for kind in ("render + static", "generate"):
                    small, large = measured[(name, kind, "small")], measured[(name, kind, "large")]
                    wall, cpu = large.seconds / small.seconds, large.cpu_seconds / small.cpu_seconds
                    print(f"{name:>14}  {kind:<16} {small.seconds:8.2f} {large.seconds:8.2f} {wall:5.2f}x {cpu:8.2f}x")
        finally:
            subprocess.run(["git", "-C", str(run.REPO), "worktree", "remove", "--force", str(old)], check=False)


if __name__ == "__main__":
    main()
