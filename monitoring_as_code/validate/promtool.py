"""promtool: the config, the rule files and the rule unit tests."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from monitoring_as_code.duration import parse_duration
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.validate import verdicts
from monitoring_as_code.validate.tools import failure, require, run, run_cached, verdict_key

TEST_PROCESSES = os.cpu_count() or 2  # promtool tests are CPU-bound; one single-threaded process per core
# promtool opens an on-disk TSDB in TMPDIR for every test group: on a tmpfs the 4,000 tests of a
# large project run twice as fast. One Go thread per process, as the processes already fill the cores.
TEST_ENVIRONMENT = {"GOMAXPROCS": "1", **({"TMPDIR": "/dev/shm"} if os.access("/dev/shm", os.W_OK) else {})}
# A test's own storage costs promtool about as much as this many rule evaluations.
EVALUATIONS_PER_TEST = 100
_EVALUATION_INTERVAL = re.compile(r"^evaluation_interval: *'?(\w+)", re.MULTILINE)
_EVAL_TIME = re.compile(r"^[ -]*eval_time: *'?(\w+)", re.MULTILINE)
_RULE_FILE = re.compile(r"^  - '?([^\s']+\.ya?ml)'?$", re.MULTILINE)  # the items of rule_files
_RULE = re.compile(r"^ *- (?:alert|record):", re.MULTILINE)


def check_config(tree: Path, config: str) -> None:
    """The config's syntax and every setting in it. Without --syntax-only promtool also stats the
    files the config refers to: the secret files (a scrape job's credentials_file) exist only where
    Prometheus runs, and `mac preflight` checks them there. The rule files it names must exist
    here; check_rules checks their content."""
    path = require(tree, config)
    result = run_cached("promtool", ["check", "config", "--syntax-only", config], tree, verdicts.tree_digest(tree))
    if result.returncode:
        raise failure(config, "promtool check config", result)
    folder = Path(config).parent
    for rule_file in _RULE_FILE.findall(path.read_text()):
        require(tree, str(folder / rule_file))


def _files(tree: Path, folder: str) -> list[str]:
    return sorted(str(p.relative_to(tree)) for p in (tree / folder).glob("*.yml"))


def check_rules(tree: Path, folder: str) -> None:
    files = _files(tree, folder)
    if not files:
        return
    result = run_cached("promtool", ["check", "rules", *files], tree, verdicts.files_digest(tree, files), file=folder)
    if result.returncode:
        raise failure(folder, "promtool check rules", result)


def _seconds(duration: str, default: float) -> float:
    try:
        return parse_duration(duration) or default
    except ValueError:
        return default  # only an estimate: promtool reports the bad duration itself


def _evaluations(test_file: Path) -> float:
    """About what a test file costs promtool: each rule it loads is evaluated at every step up to
    each eval time (a day at 1m costs far more than minutes at 15s), after each test's set-up."""
    text = test_file.read_text()
    rule_files = [test_file.parent / name for name in _RULE_FILE.findall(text)]
    rules = sum(len(_RULE.findall(f.read_text())) for f in rule_files if f.is_file()) or 1
    interval = _EVALUATION_INTERVAL.search(text)
    step = _seconds(interval.group(1), 60.0) if interval else 60.0  # promtool's default: 1m
    return sum(EVALUATIONS_PER_TEST + rules * _seconds(t, 0.0) / step for t in _EVAL_TIME.findall(text))


def balanced_chunks(tree: Path, files: list[str], count: int) -> list[list[str]]:
    """`files` in at most `count` chunks of about equal cost: costliest first, each to the chunk
    with the least so far (so the few day-long tests do not all land in one chunk)."""
    chunks: list[list[str]] = [[] for _ in range(count)]
    costs = [0.0] * count
    for cost, file in sorted(((_evaluations(tree / f), f) for f in files), reverse=True):
        cheapest = costs.index(min(costs))
        chunks[cheapest].append(file)
        costs[cheapest] += cost
    return [chunk for chunk in chunks if chunk]


# The unit tests run in one validation, by the digest of a test file and the rule files it
# loads: two outputs whose variants share an alert byte for byte (its rules and its scenarios)
# have it tested once. Cleared by forget_tests() at the start of every validation.
_TESTS: dict[bytes, Future[subprocess.CompletedProcess[str] | None]] = {}
_TESTS_LOCK = threading.Lock()


def forget_tests() -> None:
    with _TESTS_LOCK:
        _TESTS.clear()


def _digest(tree: Path, test_file: str) -> bytes:
    text = (tree / test_file).read_bytes()
    rules = [(tree / test_file).parent / name for name in _RULE_FILE.findall(text.decode(errors="replace"))]
    digest = hashlib.sha256(text)
    for rule_file in rules:
        digest.update(rule_file.read_bytes() if rule_file.is_file() else str(rule_file).encode())
    return digest.digest()


def _verdict(tree: Path, test_file: str) -> str | None:
    """The verdict cache's entry for one test file (its bytes and its rule files'), None when off."""
    return verdict_key("promtool", ["test", "rules"], TEST_ENVIRONMENT, _digest(tree, test_file))


def test_rules(tree: Path, folder: str) -> None:
    """All unit tests of `folder`, in TEST_PROCESSES promtool processes at once (one call per
    chunk); a test another output's validator runs in this validation is awaited, not repeated,
    and a test that passed before on the same bytes (the verdict cache) is not run again."""
    entries = {file: _verdict(tree, file) for file in _files(tree, folder)}
    files = [file for file, entry in entries.items() if entry is None or not verdicts.passed(entry)]
    if not files:
        return
    mine: dict[str, Future[subprocess.CompletedProcess[str] | None]] = {}
    theirs: list[Future[subprocess.CompletedProcess[str] | None]] = []
    with _TESTS_LOCK:
        for file in files:
            digest = _digest(tree, file)
            if digest in _TESTS:
                theirs.append(_TESTS[digest])
            else:
                _TESTS[digest] = mine[file] = Future()
    try:
        if mine:
            chunks = balanced_chunks(tree, list(mine), TEST_PROCESSES)

            def run_chunk(chunk: list[str]) -> subprocess.CompletedProcess[str]:
                result = run("promtool", ["test", "rules", *chunk], tree, TEST_ENVIRONMENT, file=folder)
                for file in chunk:
                    mine[file].set_result(result if result.returncode else None)
                    if not result.returncode and (entry := entries[file]) is not None:
                        verdicts.record_pass(entry)
                return result

            with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
                results = list(pool.map(run_chunk, chunks))
            for result in results:
                if result.returncode:
                    raise failure(folder, "promtool test rules", result)
        for future in theirs:
            failed = future.result()
            if failed is not None:
                raise failure(folder, "promtool test rules", failed)
    finally:
        for future in mine.values():
            if not future.done():  # a tool missing or killed: whoever waits learns it failed
                future.set_exception(DefinitionError("promtool test rules did not run", file=folder))
