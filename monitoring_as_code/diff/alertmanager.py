"""Alertmanager: routes (named by their matchers, so inserting one shifts no other), inhibitions,
receivers and time intervals, by name; the rest of the configuration as settings."""

from __future__ import annotations

import functools
import json
from typing import Any

from monitoring_as_code.diff import copies
from monitoring_as_code.diff.change import Change, Fields, compare_items, flatten, merge_copies
from monitoring_as_code.diff.tree import Tree
from monitoring_as_code.serialize import from_yaml

KIND = "alertmanager"
CLAIMS = (copies.ALERTMANAGER[copies.COMPOSE],)  # the Kubernetes Secret: kubernetes.py leaves out its payload


def config_of(tree: Tree, copy: str) -> dict[str, Any] | None:
    found = copies.alertmanager_config(tree, copy)
    return None if found is None else dict(from_yaml(found[1]) or {})


def _matchers(route: dict[str, Any]) -> str:
    matchers = [*(route.get("matchers") or [])]
    matchers += [f"{k}={v}" for k, v in (route.get("match") or {}).items()]
    matchers += [f"{k}=~{v}" for k, v in (route.get("match_re") or {}).items()]
    return ", ".join(matchers) or "(any)"


def _routes(route: dict[str, Any], path: str, out: dict[str, Fields]) -> None:
    name = path
    while name in out:  # two sibling routes with the same matchers
        name += "'"
    fields = {k: v for k, v in route.items() if k not in ("routes", "matchers", "match", "match_re")}
    out[name] = flatten(fields)
    for child in route.get("routes") or []:
        _routes(child, f"{path} > {_matchers(child)}", out)


def items(config: dict[str, Any] | None) -> dict[str, dict[str, Fields]]:
    """Per part (routes, inhibitions, receivers, time intervals, settings): its items' fields."""
    if config is None:
        return {}
    config = dict(config)
    routes: dict[str, Fields] = {}
    _routes(config.pop("route", None) or {}, "route", routes)
    inhibitions = {_inhibition(rule): flatten(rule) for rule in config.pop("inhibit_rules", None) or []}
    receivers = {str(r.get("name")): flatten(r) for r in config.pop("receivers", None) or []}
    intervals = {str(i.get("name")): flatten(i) for i in config.pop("time_intervals", None) or []}
    return {
        "routes": routes,
        "inhibitions": inhibitions,
        "receivers": receivers,
        "time intervals": intervals,
        "settings": {"alertmanager": flatten(config)} if config else {},
    }


def _inhibition(rule: dict[str, Any]) -> str:
    """An inhibition by what it silences while what fires (its `equal` is a field)."""
    source = ", ".join(rule.get("source_matchers") or []) or json.dumps(rule.get("source_match"))
    target = ", ".join(rule.get("target_matchers") or []) or json.dumps(rule.get("target_match"))
    return f"{target} while {source}"


def _subject(part: str, name: str) -> tuple[str, ...]:
    return (part, name)


def _compare(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Change]:
    before, after = items(old), items(new)
    changes = []
    for part in ("routes", "inhibitions", "receivers", "time intervals", "settings"):
        subject = functools.partial(_subject, part)
        changes += compare_items(KIND, before.get(part, {}), after.get(part, {}), subject=subject)
    return changes


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    return merge_copies(
        (copy, _compare(config_of(before, copy), config_of(after, copy))) for copy in copies.present(before, after)
    )
