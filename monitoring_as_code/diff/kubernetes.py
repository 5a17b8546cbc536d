"""Kubernetes resources by kind, namespace and name, field by field, without the payloads other
kinds compare (rule groups, Alertmanager's configuration, dashboards, blackbox modules): those are
told once, there."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.diff import copies
from monitoring_as_code.diff.change import Change, Fields, compare_items, flatten
from monitoring_as_code.diff.tree import Tree

KIND = "kubernetes resources"
MANIFESTS = "kubernetes/*.yaml"
CLAIMS = (MANIFESTS,)
_KUSTOMIZATION = "kubernetes/kustomization.yaml"


def _without_payloads(obj: dict[str, Any]) -> dict[str, Any]:
    kind = obj.get("kind")
    obj = dict(obj)
    if kind == "PrometheusRule":
        obj["spec"] = {k: v for k, v in (obj.get("spec") or {}).items() if k != "groups"}
    elif kind == "Secret" and copies.ALERTMANAGER_KEY in (obj.get("stringData") or {}):
        obj.pop("stringData")
    elif kind == "ConfigMap":
        data = obj.get("data") or {}
        if copies.BLACKBOX_KEY in data or any(key.endswith(".json") for key in data):
            obj.pop("data")
    elif kind == "Kustomization":
        obj.pop("resources", None)  # the files: each object's own addition or removal says it
    return obj


def items(tree: Tree, changed: frozenset[str]) -> dict[str, Fields]:
    """The objects in the `changed` files (one file holds one object)."""
    found: dict[str, Fields] = {}
    for relative in tree.glob(MANIFESTS):
        if relative not in changed:
            continue
        obj = tree.data(relative) or {}
        meta = obj.get("metadata") or {}
        name = (
            "Kustomization"
            if relative == _KUSTOMIZATION
            else f"{obj.get('kind')} {meta.get('namespace', '-')}/{meta.get('name')}"
        )
        found[name] = flatten(_without_payloads(obj))
    return found


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    if copies.KUBERNETES not in copies.present(before, after):
        return []
    return compare_items(KIND, items(before, changed), items(after, changed))
