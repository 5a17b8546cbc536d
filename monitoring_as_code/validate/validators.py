"""Validators: each checks files already written to a tree, with the real tool that consumes
them where one runs here. None of them renders, and none knows where an output puts its files:
each takes the paths its output unit declares (monitoring_as_code/outputs/)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from monitoring_as_code import waiting
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.timings import Timings, validator_name
from monitoring_as_code.validate import promtool, tools, verdicts

Validator = Callable[[Path], None]


@attrs.frozen
class Validators:
    """An output's validators: those that run a real tool in a subprocess, and those that run in
    this process (schemas and our own checks)."""

    tools: tuple[Validator, ...] = ()
    static: tuple[Validator, ...] = ()

    @property
    def all(self) -> tuple[Validator, ...]:
        return self.tools + self.static

    def __add__(self, other: Validators) -> Validators:
        return Validators(self.tools + other.tools, self.static + other.static)


def validate_tree(
    tree: Path, validators: tuple[Validator, ...], timings: Timings | None = None
) -> list[DefinitionError]:
    """Run every validator on `tree` (in parallel: most wait on a subprocess); return the failures.
    Each validator's seconds go to `timings`."""

    def run(validator: Validator) -> DefinitionError | None:
        start = time.perf_counter()
        try:
            validator(tree)
        except DefinitionError as exc:
            return exc
        finally:
            if timings is not None:
                timings.add(validator_name(validator), time.perf_counter() - start)
        return None

    if not validators:
        return []
    promtool.forget_tests()  # a test is shared between outputs within one validation only
    tools.start_all()
    try:
        with ThreadPoolExecutor(max_workers=len(validators)) as pool:
            try:
                results = [waiting.result(future) for future in [pool.submit(run, v) for v in validators]]
            except BaseException:  # a signal: stop the tools, or leaving this block waits for them
                tools.stop_all()
                raise
    finally:
        tools.finish_all()
        verdicts.evict()
    return [error for error in results if error is not None]
