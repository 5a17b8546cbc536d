"""Where a run's time goes (`mac generate --timings`): each phase with its seconds."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator

import attrs

from monitoring_as_code import STARTED


@attrs.define
class Timings:
    """The phases of one run, in the order they ended; validators run in threads, so adding is
    locked."""

    phases: list[tuple[str, float]] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.phases.append((name, seconds))

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def imports_done(self) -> None:
        """The imports: from the package's first line until now (the command starting)."""
        self.add("imports", time.perf_counter() - STARTED)

    def report(self, tool_runs: int) -> str:
        lines = [f"  {seconds:7.3f} s  {name}" for name, seconds in self.phases]
        total = time.perf_counter() - STARTED
        return "\n".join(["timings:", *lines, f"  {total:7.3f} s  total", f"  tool runs: {tool_runs}"])


def validator_name(validator: Callable[..., object]) -> str:
    """`promtool.check_config prometheus/prometheus.yml`: the check and the file it is bound to."""
    if isinstance(validator, functools.partial):
        function = validator.func
        what = " ".join(str(v) for v in validator.keywords.values() if isinstance(v, str))
    else:
        function, what = validator, ""
    module = getattr(function, "__module__", "").rsplit(".", 1)[-1]
    return f"validate {module}.{getattr(function, '__name__', 'validator')} {what}".rstrip()
