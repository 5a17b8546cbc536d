"""The end-to-end tests rely on pytest-xdist's loadgroup (tests/e2e/conftest.py): each profile's
tests on one worker, so that each stack starts once. With pytest 9.2 xdist stopped grouping and
said nothing (pytest-xdist #1386); this holds the pinned pair to it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

GROUPED = """
import pytest

@pytest.mark.parametrize("n", range(4))
@pytest.mark.xdist_group("{group}")
def test_{group}(n):
    pass
"""


def test_xdist_runs_each_group_on_one_worker(tmp_path: Path) -> None:
    for group in ("first", "second"):
        (tmp_path / f"test_{group}.py").write_text(GROUPED.format(group=group))
    args = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider"]
    # A pytest of its own, not a worker of this run's xdist.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))}
    result = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    workers: dict[str, set[str]] = {}
    for worker, group in re.findall(r"\[(gw\d+)\] .*PASSED test_(\w+)\.py::", result.stdout):
        workers.setdefault(group, set()).add(worker)
    assert set(workers) == {"first", "second"}, result.stdout[-2000:]
    assert all(len(ran_on) == 1 for ran_on in workers.values()), workers
