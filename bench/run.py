"""`make bench`: wall time and peak memory of the RAT bundle, of synthetic projects at two scales,
and of the same dashboards through grafanalib's own CLI; a table on stdout and bench/results.json.

The cost of the definitions' child process is the median difference of paired, alternated loads
in one process (bench/isolation.py). Every other figure is the median of RUNS cold processes (a
new interpreter each time, bytecode cached), after one untimed run that compiles the definitions'
bytecode; the runs of the commands whose ratio is a target alternate (the two `mac check`s; the
promtool floor and `mac check` with a cold and a warm verdict cache; grafanalib and `mac generate`
cold and warm). Peak memory is the
largest resident set of the process tree (the Python process or one of the tools it runs), from
wait4().
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import synthetic

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RENDER = [sys.executable, str(REPO / "bench" / "render.py")]
ISOLATION = [sys.executable, str(REPO / "bench" / "isolation.py")]
MAC = str(BIN / "mac")
PROMTOOL = shutil.which("promtool") or "promtool"
AMTOOL = shutil.which("amtool") or "amtool"
DIFF_AMTOOL_PHASE = "who gets paged"  # `mac diff --timings`: the phase in which amtool runs
TESTS = "generated/prometheus/tests"  # the RAT tree's promtool tests, run from their parent folder
RUNS = 5
# Bytecode is cached as in a usual shell, whatever this shell says: otherwise each run would
# compile every definition module again.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# "Cold" runs are `mac --no-cache` (every tool runs, as with an empty verdict cache, minus the few
# milliseconds of asking each tool's version and storing its passes); "warm" runs use the bench's
# own cache folder (set in main), never the user's.
NO_CACHE = "--no-cache"
# (dashboards, alerts) of the small and the large synthetic project: 10x apart.
SCALES = {"small": (20, 200), "large": (200, 2000)}
PREVIEW_DASHBOARDS = 200
PREVIEWS_LIMIT = 1.10  # previews add at most 10% to `mac generate`


@dataclass
class Result:
    name: str
    command: str
    seconds: float  # median wall time
    peak_rss_mb: float  # median of each run's peak
    runs: list[float]
    phases: dict[str, float] = field(default_factory=dict)  # median seconds per phase (bench/render.py, --timings)
    cpu_seconds: float = 0.0  # median CPU time of the process tree (user + system): what a busy machine moves least


@dataclass
class Check:
    what: str
    measured: float
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        return self.measured <= self.limit


Sample = tuple[float, float, str, str, float]  # wall seconds, peak RSS MB, stdout, stderr, CPU seconds
TIMED = re.compile(r"^ +(\d+\.\d{3}) s  (.+)$")  # a phase line of `--timings`


def run_once(command: Sequence[str], cwd: Path) -> Sample:
    """Wall seconds, peak RSS in MB, stdout, stderr and CPU seconds of one cold run; a failed run
    stops the bench."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=ENVIRONMENT, stdout=out, stderr=err)
        # wait4 (not wait) to get this child's own resource usage: ru_maxrss is its tree's peak.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        if process.returncode:
            raise SystemExit(f"failed (exit {process.returncode}): {' '.join(command)}\n{stderr[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode(), stderr, usage.ru_utime + usage.ru_stime


def measure(name: str, command: Sequence[str], cwd: Path, runs: int) -> Result:
    run_once(command, cwd)  # untimed: writes the bytecode of the definitions and warms the page cache
    return _result(name, command, cwd, [run_once(command, cwd) for _ in range(runs)])


def measure_alternately(commands: dict[str, Sequence[str]], cwd: Path, runs: int) -> list[Result]:
    """Commands whose times are compared: their runs alternate, so that a machine that slows down
    during the bench slows each of them alike and leaves the ratio alone."""
    for command in commands.values():
        run_once(command, cwd)
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(run_once(command, cwd))
    return [_result(name, command, cwd, samples[name]) for name, command in commands.items()]


def _phases(command: Sequence[str], sample: Sample) -> dict[str, float]:
    """bench/render.py's phases (JSON on stdout), or those `--timings` prints on stderr."""
    if command[:2] == RENDER:
        return dict(json.loads(sample[2])["phases"])
    if "--timings" in command:
        return {
            name: float(seconds)
            for seconds, name in (m.groups() for m in map(TIMED.match, sample[3].splitlines()) if m)
        }
    return {}


def _result(name: str, command: Sequence[str], cwd: Path, samples: list[Sample]) -> Result:
    reports = [_phases(command, sample) for sample in samples]
    phases = {phase: statistics.median(r[phase] for r in reports) for phase in reports[0]}
    shown = " ".join(str(Path(c).relative_to(cwd)) if Path(c).is_relative_to(cwd) else c for c in command)
    result = Result(
        name=name,
        command=shown if len(shown) < 200 else shown[:200] + " ...",
        seconds=statistics.median(s[0] for s in samples),
        peak_rss_mb=statistics.median(s[1] for s in samples),
        runs=[round(s[0], 3) for s in samples],
        phases=phases,
        cpu_seconds=statistics.median(s[4] for s in samples),
    )
    print(f"  {name}: {result.seconds:.2f} s, {result.peak_rss_mb:.0f} MB", flush=True)
    return result


def isolation_cost(root: Path, pairs: int) -> tuple[Result, Result, float]:
    """RAT's definitions loaded in the child process and in-process, `pairs` times each, alternated
    in one process (bench/isolation.py); and the median of the pairs' differences, in seconds."""
    _, peak, stdout, _, _ = run_once([*ISOLATION, str(root), str(pairs)], REPO)
    report = json.loads(stdout)
    loads = [
        Result(f"RAT load, {where}", f"bench/isolation.py . {pairs}", report[key], peak, [])
        for where, key in (("definitions in a child process", "child"), ("in-process", "in_process"))
    ]
    added, cpu = report["added"] * 1000, report["added_cpu"] * 1000
    print(f"  the child process adds {added:.0f} ms to a load ({cpu:.0f} ms of CPU)", flush=True)
    return loads[0], loads[1], report["added"]


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text().split()
    promtool = subprocess.run(["promtool", "--version"], capture_output=True, text=True, check=False)
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1),
        "python": platform.python_version(),
        "promtool": (promtool.stdout or promtool.stderr).splitlines()[0],
    }


def measure_previews(work: Path, add_alternately: Any) -> dict[str, tuple[Result, Result]]:
    """`mac generate` with and without the dashboard previews (grafana.previews), runs alternated:
    on the RAT bundle, and at PREVIEW_DASHBOARDS dashboards (no rules: the previews' share is the
    largest there)."""
    projects = {
        "RAT": synthetic.with_outputs(REPO, work / "previews-rat", ("compose",)),
        f"{PREVIEW_DASHBOARDS} dashboards": synthetic.dashboards_only_project(
            REPO, work / "previews-dashboards", PREVIEW_DASHBOARDS
        ),
    }
    pairs = {}
    for what, root in projects.items():
        print(f"previews: {what}", flush=True)
        off = synthetic.without_previews(root, work / f"{root.name}-off")
        on_name, off_name = f"{what}: mac generate, previews", f"{what}: mac generate, no previews"
        on, off_result = add_alternately(
            {
                on_name: [MAC, NO_CACHE, "--root", str(root), "generate"],
                off_name: [MAC, NO_CACHE, "--root", str(off), "generate"],
            }
        )
        pairs[what] = (on, off_result)
    return pairs


def bench(work: Path, runs: int) -> tuple[list[Result], list[Check]]:
    results: dict[str, Result] = {}

    def add(name: str, command: Sequence[str], cwd: Path = REPO) -> Result:
        results[name] = measure(name, command, cwd, runs)
        return results[name]

    def add_alternately(commands: dict[str, Sequence[str]]) -> list[Result]:
        measured = measure_alternately(commands, REPO, runs)
        results.update((r.name, r) for r in measured)
        return measured

    print("RAT bundle", flush=True)
    rat_render = add("RAT: render only (load, lint, render)", [*RENDER, str(REPO)])
    child = isolation_cost(REPO, 2 * runs + 1)
    results.update((r.name, r) for r in child[:2])
    compose = synthetic.with_outputs(REPO, work / "rat-compose", ("compose",))
    both = synthetic.with_outputs(REPO, work / "rat-compose-kubernetes", ("compose", "kubernetes"))
    for root in (compose, both):
        run_once([MAC, "--root", str(root), "generate"], REPO)
    rat_check, rat_both = add_alternately(
        {
            "RAT: mac check, outputs [compose]": [MAC, NO_CACHE, "--root", str(compose), "check"],
            "RAT: mac check, outputs [compose, kubernetes]": [MAC, NO_CACHE, "--root", str(both), "check"],
        }
    )
    tests = sorted(str(p.relative_to(compose / "generated/prometheus")) for p in (compose / TESTS).glob("*.yml"))
    floor, cold, warm = measure_alternately(
        {
            "RAT: promtool test rules over the RAT tests, one process": [PROMTOOL, "test", "rules", *tests],
            "RAT: mac check, cold cache": [MAC, NO_CACHE, "--root", str(compose), "check"],
            "RAT: mac check, warm cache, unchanged tree": [MAC, "--root", str(compose), "check"],
        },
        compose / "generated/prometheus",
        runs,
    )
    results.update((r.name, r) for r in (floor, cold, warm))

    print("mac diff: the RAT tree of profile ratd-0.2 against guide's, outputs [compose, kubernetes]", flush=True)
    guide = synthetic.with_outputs(REPO, work / "rat-guide", ("compose", "kubernetes"))
    settings = guide / "monitoring.yaml"
    settings.write_text(re.sub(r"(?m)^(  profile: ).*$", r"\g<1>guide", settings.read_text(), count=1))
    run_once([MAC, "--root", str(guide), "generate"], REPO)
    trees = [str(both / "generated"), str(guide / "generated")]
    rat_diff = add(
        "RAT: mac diff ratd-0.2 -> guide, cold process (amtool included)",
        [MAC, "diff", "--timings", "--from", trees[0], "--to", trees[1]],
    )
    config = str(both / "generated/alertmanager/alertmanager.yml")
    add(
        "amtool config routes test, one run (its start-up)",
        [AMTOOL, "config", "routes", "test", f"--config.file={config}"],
    )

    previews = measure_previews(work, add_alternately)

    generate: dict[str, Result] = {}
    static: dict[str, Result] = {}
    for scale, (dashboards, alerts) in SCALES.items():
        print(f"scale: {dashboards} dashboards x {synthetic.PANELS_PER_DASHBOARD} panels, {alerts} alerts", flush=True)
        root = synthetic.scale_project(REPO, work / f"scale-{scale}", dashboards, alerts)
        label = f"{dashboards} dashboards, {alerts} alerts"
        static[scale] = add(f"scale {label}: render + static validation", [*RENDER, str(root), "--static"])
        command = [MAC, NO_CACHE, "--root", str(root), "generate"]  # cold: the 10x ratio is the tools' too
        generate[scale] = add(f"scale {label}: mac generate, cold cache", command)

    peer: dict[int, tuple[Result, Result, Result]] = {}
    for dashboards, _ in SCALES.values():
        print(f"dashboards only: {dashboards} x {synthetic.PANELS_PER_DASHBOARD} panels", flush=True)
        folder = work / f"grafanalib-{dashboards}"
        paths = [str(p) for p in synthetic.grafanalib_folder(folder, dashboards)]
        root = synthetic.dashboards_only_project(REPO, work / f"dashboards-{dashboards}", dashboards)
        peer[dashboards] = tuple(  # type: ignore[assignment]
            add_alternately(
                {
                    f"{dashboards} dashboards: grafanalib generate-dashboards": [
                        str(BIN / "generate-dashboards"),
                        *paths,
                    ],
                    f"{dashboards} dashboards: mac generate (no rules), cold cache": [
                        MAC,
                        NO_CACHE,
                        "--root",
                        str(root),
                        "generate",
                    ],
                    f"{dashboards} dashboards: mac generate (no rules), warm cache": [
                        MAC,
                        "--root",
                        str(root),
                        "generate",
                    ],
                }
            )
        )
        add(f"{dashboards} dashboards: render + static validation (no rules)", [*RENDER, str(root), "--static"])

    large, small = generate["large"], generate["small"]
    checks = [
        Check("RAT render only", rat_render.seconds, 0.4, "s"),
        Check("RAT load: what the definitions' child process adds", child[2] * 1000, 50.0, "ms"),
        Check("RAT mac check", rat_check.seconds, 1.0, "s"),
        Check("RAT mac check, cold cache / promtool test rules floor", cold.seconds / floor.seconds, 1.2, "x"),
        Check("RAT mac check, unchanged tree: warm / cold cache", warm.seconds / cold.seconds, 0.25, "x"),
        Check("RAT mac check: [compose, kubernetes] / [compose]", rat_both.seconds / rat_check.seconds, 1.3, "x"),
        # Who gets paged is amtool's runs (its phase in `mac diff --timings`): told apart.
        Check("RAT mac diff, cold process, amtool aside", _diff_cost(rat_diff), 0.5, "s"),
        Check("large: generate + validate", large.seconds, 30.0, "s"),
        Check("large: render + static validation", static["large"].seconds, 5.0, "s"),
        Check("10x input: generate time ratio", large.seconds / small.seconds, 11.0, "x"),
        Check("10x input: render + static ratio", static["large"].seconds / static["small"].seconds, 11.0, "x"),
    ]
    for n, (raw, cold_run, warm_run) in peer.items():
        checks += [
            Check(f"{n} dashboards: mac cold cache / grafanalib", cold_run.seconds / raw.seconds, 1.5, "x"),
            Check(f"{n} dashboards: mac warm cache / grafanalib", warm_run.seconds / raw.seconds, 1.0, "x"),
        ]
    checks += [
        Check(f"{what}: mac generate with previews / without", paired_ratio(on, off), PREVIEWS_LIMIT, "x")
        for what, (on, off) in previews.items()
    ]
    return list(results.values()), checks


def _diff_cost(result: Result) -> float:
    """The cold `mac diff`'s wall time without who gets paged, which is amtool running."""
    return result.seconds - result.phases[DIFF_AMTOOL_PHASE]


def paired_ratio(first: Result, second: Result) -> float:
    """The median of the ratios of runs made one after the other (alternated): a machine other
    work slows down for a while slows both runs of a pair, and the pair's ratio moves little."""
    return statistics.median(a / b for a, b in zip(first.runs, second.runs, strict=True))


def table(results: list[Result], checks: list[Check]) -> str:
    width = max(len(r.name) for r in results)
    lines = [
        f"| {'benchmark':<{width}} | median s | CPU s | peak RSS MB |",
        f"| {'-' * width} | -------: | ----: | ----------: |",
    ]
    lines += [
        f"| {r.name:<{width}} | {r.seconds:8.2f} | {r.cpu_seconds:5.2f} | {r.peak_rss_mb:11.0f} |" for r in results
    ]
    lines += ["", "phases (bench/render.py in process, `mac diff --timings`; median seconds):"]
    lines += [
        f"  {r.name}: " + ", ".join(f"{phase} {seconds:.2f}" for phase, seconds in r.phases.items())
        for r in results
        if r.phases
    ]
    width = max(len(c.what) for c in checks)
    lines += ["", f"| {'target':<{width}} | measured | limit | met |", f"| {'-' * width} | -------: | ----: | --- |"]
    lines += [
        f"| {c.what:<{width}} | {c.measured:6.2f} {c.unit} | {c.limit:g} {c.unit} | {'yes' if c.met else 'NO'} |"
        for c in checks
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks of monitoring-as-code (see bench/run.py).")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed runs per benchmark (default {RUNS})")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results.json")
    args = parser.parse_args()
    for tool in ("promtool", "amtool", "prometheus-blackbox-exporter"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run `make tools`")
    host = machine()
    print(f"{host['nproc']} CPUs ({host['cpu']}), {host['memory_gib']} GiB, Python {host['python']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mac-bench-") as tmp:
        ENVIRONMENT["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # the warm runs' verdicts, not the user's
        results, checks = bench(Path(tmp), args.runs)
    print()
    print(table(results, checks))
    report = {
        "machine": host,
        "runs": args.runs,
        "results": [asdict(r) for r in results],
        "targets": [{**asdict(c), "met": c.met} for c in checks],
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")


if __name__ == "__main__":
    main()
