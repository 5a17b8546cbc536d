"""promtool: the config, the rule files and the rule unit tests."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from monitoring_as_code.validate.tools import failure, require, run

CONFIG = "prometheus/prometheus.yml"
RULES = "prometheus/rules"
TESTS = "prometheus/tests"
TEST_PROCESSES = 2  # promtool tests are CPU-bound; one process per core


def check_config(tree: Path) -> None:
    require(tree, CONFIG)
    result = run("promtool", ["check", "config", CONFIG], tree)
    if result.returncode:
        raise failure(CONFIG, "promtool check config", result)


def _files(tree: Path, folder: str) -> list[str]:
    return sorted(str(p.relative_to(tree)) for p in (tree / folder).glob("*.yml"))


def check_rules(tree: Path) -> None:
    files = _files(tree, RULES)
    if not files:
        return
    result = run("promtool", ["check", "rules", *files], tree)
    if result.returncode:
        raise failure(RULES, "promtool check rules", result)


def test_rules(tree: Path) -> None:
    """All unit tests, in TEST_PROCESSES promtool processes at once (one call per chunk)."""
    files = _files(tree, TESTS)
    if not files:
        return
    chunks = [files[i::TEST_PROCESSES] for i in range(TEST_PROCESSES) if files[i::TEST_PROCESSES]]

    def run_chunk(chunk: list[str]) -> subprocess.CompletedProcess[str]:
        return run("promtool", ["test", "rules", *chunk], tree)

    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        results = list(pool.map(run_chunk, chunks))
    for result in results:
        if result.returncode:
            raise failure(TESTS, "promtool test rules", result)
