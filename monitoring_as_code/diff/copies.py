"""Where each output keeps its copy of a shared thing: the compose output's files, and the
Kubernetes output's objects wrapping the same content. A kind reads every copy a tree has;
change.merge_copies tells a change once however many copies show it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from monitoring_as_code.diff.tree import OUTPUT_MARKS, Tree
from monitoring_as_code.serialize import from_yaml

COMPOSE, KUBERNETES = "compose", "kubernetes"
COPIES = (COMPOSE, KUBERNETES)

RULE_FILES = {COMPOSE: "prometheus/rules/*.yml", KUBERNETES: "kubernetes/prometheusrule-*.yaml"}
RUNBOOKS = {COMPOSE: "docs/alerts.md", KUBERNETES: "kubernetes/docs/alerts.md"}
ALERTMANAGER = {COMPOSE: "alertmanager/alertmanager.yml", KUBERNETES: "kubernetes/secret-*.yaml"}
TESTS = {COMPOSE: "prometheus/tests", KUBERNETES: "kubernetes/promtool/tests"}
BLACKBOX = {COMPOSE: "blackbox/blackbox.yml", KUBERNETES: "kubernetes/configmap-blackbox.yaml"}
DASHBOARDS = {COMPOSE: "grafana/dashboards/*.json", KUBERNETES: "kubernetes/configmap-dashboard-*.yaml"}
ALERTMANAGER_KEY = "alertmanager.yaml"  # the key of the Secret the operator reads (render/kubernetes.py)
BLACKBOX_KEY = "blackbox.yml"


def present(*trees: Tree) -> list[str]:
    """The outputs either tree holds (an output enabled on one side only is compared with nothing)."""
    return [copy for copy in COPIES if any(tree.exists(OUTPUT_MARKS[copy]) for tree in trees)]


def rule_groups(tree: Tree, copy: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file, group) of every rule group of `copy`."""
    for relative in tree.glob(RULE_FILES[copy]):
        data = tree.data(relative)
        holder = data.get("spec", {}) if copy == KUBERNETES else data
        for group in (holder or {}).get("groups") or []:
            yield relative, group


def alertmanager_config(tree: Tree, copy: str) -> tuple[str, str] | None:
    """(file, text) of `copy`'s Alertmanager configuration, if the tree has one."""
    for relative in tree.glob(ALERTMANAGER[copy]):
        if copy == COMPOSE:
            return relative, tree.text(relative)
        text = (tree.data(relative).get("stringData") or {}).get(ALERTMANAGER_KEY)
        if isinstance(text, str):
            return relative, text
    return None


def blackbox_modules(tree: Tree, copy: str) -> dict[str, Any]:
    for relative in tree.glob(BLACKBOX[copy]):
        data = tree.data(relative)
        if copy == KUBERNETES:
            data = from_yaml((data.get("data") or {}).get(BLACKBOX_KEY) or "{}")
        return dict((data or {}).get("modules") or {})
    return {}


def dashboards(tree: Tree, copy: str, changed: frozenset[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """uid -> (file, dashboard) of `copy`, in the `changed` files."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for relative in tree.glob(DASHBOARDS[copy]):
        if relative not in changed:
            continue
        if copy == COMPOSE:
            boards = [tree.data(relative)]
        else:
            boards = [json.loads(text) for text in (tree.data(relative).get("data") or {}).values()]
        for board in boards:
            found[str(board.get("uid"))] = (relative, board)
    return found
