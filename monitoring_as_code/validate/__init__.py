"""Validators: each checks files already written to a tree, with the real tool that consumes
them where one runs here. None of them renders."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.rat_compose import RatCompose
from monitoring_as_code.validate import amtool, blackbox, compose, grafana, loki, promtool, tools

Validator = Callable[[Path], None]

# Validators that run a real tool in a subprocess ...
TOOL_VALIDATORS: tuple[Validator, ...] = (
    promtool.check_config,
    promtool.check_rules,
    promtool.test_rules,
    amtool.check_config,
    blackbox.check_config,
    compose.check_merge,
)
# ... and those that run in this process (schemas and our own checks).
STATIC_VALIDATORS: tuple[Validator, ...] = (
    blackbox.check_probers,
    compose.check_generated_mounts,
    loki.check_schema,
    loki.check_start_up_rules,
    grafana.check_dashboards,
    grafana.check_provisioning,
    grafana.check_datasource_uids,
)
VALIDATORS = TOOL_VALIDATORS + STATIC_VALIDATORS


def validators_onto(rat: RatCompose) -> tuple[Validator, ...]:
    """Every validator, the override merged onto this RAT compose project (its real file, if read)."""
    merge_onto_rat = functools.partial(compose.check_merge, rat=rat)
    return tuple(merge_onto_rat if v is compose.check_merge else v for v in VALIDATORS)


def validate_tree(tree: Path, validators: tuple[Validator, ...] = VALIDATORS) -> list[DefinitionError]:
    """Run every validator on `tree` (in parallel: most wait on a subprocess); return the failures."""

    def run(validator: Validator) -> DefinitionError | None:
        try:
            validator(tree)
        except DefinitionError as exc:
            return exc
        return None

    tools.start_all()
    with ThreadPoolExecutor(max_workers=len(validators)) as pool:
        try:
            results = list(pool.map(run, validators))
        except BaseException:  # Ctrl-C: stop the tools, or leaving this block waits for them
            tools.stop_all()
            raise
    return [r for r in results if r is not None]
