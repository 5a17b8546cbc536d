"""The Kubernetes manifests, offline: core kinds against the API schemas kubernetes-validate ships,
custom resources against prometheus-operator's CRD schemas (when given a folder of them), list-map
keys that the API server would refuse twice, the size limits of `kubectl apply`, and what the
objects carry inside: rule specs through promtool, Alertmanager's config through amtool, and
every Probe's module in the shipped blackbox ConfigMap."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from monitoring_as_code.errors import DefinitionError, ToolError
from monitoring_as_code.serialize import from_yaml, to_yaml
from monitoring_as_code.validate import amtool, promtool
from monitoring_as_code.validate import previews as previews_check

KUSTOMIZATION = "kustomization.yaml"
CUSTOM_GROUP = "monitoring.coreos.com/"
# Client-side `kubectl apply` copies the whole object into the last-applied annotation, which
# may not exceed 256 KiB; a ConfigMap's data may not exceed 1 MiB.
MAX_OBJECT_BYTES = 262_144
MAX_CONFIG_MAP_BYTES = 1_048_576
# The API version kubernetes-validate checks core kinds against: the oldest minor that
# kube-prometheus-stack 88 supports is older, but every field we write exists unchanged since 1.21.
KUBERNETES_VERSION = "1.33.0"


def _manifests(tree: Path, folder: str) -> list[Path]:
    return sorted(p for p in (tree / folder).glob("*.yaml") if p.name != KUSTOMIZATION)


@functools.lru_cache(maxsize=4)
def _parsed(tree: Path, folder: str, signature: tuple[tuple[str, int, int], ...]) -> tuple[tuple[str, Any], ...]:
    out = []
    for name, _, _ in signature:
        relative = f"{folder}/{name}"
        out.append((relative, from_yaml((tree / relative).read_text(encoding="utf-8"))))
    return tuple(out)


_PARSING = threading.Lock()


def objects(tree: Path, folder: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(relative file, object) for every manifest of `folder`: one object per file. Parsed once
    for all the validators that read the same files (they run side by side)."""
    signature = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in _manifests(tree, folder))
    with _PARSING:
        parsed = _parsed(tree, folder, signature)
    for relative, data in parsed:
        if not isinstance(data, dict) or "kind" not in data:
            raise DefinitionError("is not a Kubernetes object", file=relative)
        yield relative, data


def _where(obj: Mapping[str, Any]) -> str:
    return f"{obj['kind']} {obj.get('metadata', {}).get('name')}"


def check_kustomization(tree: Path, folder: str) -> None:
    """The kustomization lists every manifest of the folder, and nothing else."""
    relative = f"{folder}/{KUSTOMIZATION}"
    path = tree / relative
    if not path.is_file():
        raise DefinitionError("missing", file=relative)
    listed = (from_yaml(path.read_text()) or {}).get("resources") or []
    present = [p.name for p in _manifests(tree, folder)]
    if sorted(listed) != present:
        missing, extra = sorted(set(present) - set(listed)), sorted(set(listed) - set(present))
        raise DefinitionError(f"resources differ from the folder: unlisted {missing}, absent {extra}", file=relative)


def check_sizes(tree: Path, folder: str) -> None:
    for relative, obj in objects(tree, folder):
        size = len(json.dumps(obj, separators=(",", ":")).encode())
        if size > MAX_OBJECT_BYTES:
            raise DefinitionError(
                f"is {size} bytes serialized, over the {MAX_OBJECT_BYTES} client-side `kubectl apply` stores "
                "in its annotation: split it, or use server-side apply",
                obj=_where(obj),
                file=relative,
            )
        if obj["kind"] == "ConfigMap":
            data = sum(len(k.encode()) + len(v.encode()) for k, v in (obj.get("data") or {}).items())
            if data > MAX_CONFIG_MAP_BYTES:
                raise DefinitionError(f"data is {data} bytes, over a ConfigMap's 1 MiB", obj=_where(obj), file=relative)


@functools.cache
def _kubernetes_schemas() -> Path:
    """kubernetes-validate's bundled strict schemas of KUBERNETES_VERSION (found without importing
    the package, whose import costs more than our whole check)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ToolError("kubernetes-validate is not installed: pip install -e . (make venv)")
    folder = Path(spec.submodule_search_locations[0]) / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}-local-strict"
    if not folder.is_dir():
        raise ToolError(f"kubernetes-validate has no schemas of Kubernetes {KUBERNETES_VERSION} ({folder})")
    return folder


@functools.cache
def _core_definitions() -> Resource[Any]:
    """The definitions every kind's schema refers to (1.4 MB of JSON: read once per run)."""
    return Resource.from_contents(json.loads((_kubernetes_schemas() / "_definitions.json").read_text()))


@functools.cache
def _core_validator(kind: str, api_version: str) -> jsonschema.Draft202012Validator | None:
    """The strict schema of a built-in kind, its references resolved once per run (None: unknown kind)."""
    folder = _kubernetes_schemas()
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)  # rbac.authorization.k8s.io/v1 -> rbac-v1
    path = folder / f"{kind.lower()}-{group}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    registry = _core_definitions() @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def check_core_kinds(tree: Path, folder: str) -> None:
    """Every object of a built-in kind against the Kubernetes API schema kubernetes-validate ships
    (strict: unknown fields fail)."""
    for relative, obj in objects(tree, folder):
        api_version = obj.get("apiVersion", "")
        if api_version.startswith(CUSTOM_GROUP):
            continue
        with _PARSING:  # one thread builds a kind's validator, the others wait for it
            validator = _core_validator(obj["kind"], api_version)
        if validator is None:
            raise DefinitionError(f"Kubernetes {KUBERNETES_VERSION} has no {api_version} {obj['kind']}", file=relative)
        error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
            raise DefinitionError(f"{error.message} (at {where})", obj=_where(obj), file=relative)


@functools.cache
def _crd_schema(schemas: Path, api_version: str, kind: str) -> dict[str, Any]:
    return json.loads((schemas / f"{api_version.replace('/', '_')}_{kind}.json").read_text())


def list_map_duplicates(data: Any, schema: Mapping[str, Any], defs: Mapping[str, Any], where: str = "") -> list[str]:
    """Where a list the schema declares `x-kubernetes-list-type: map` holds two items with the
    same `x-kubernetes-list-map-keys` (the API server refuses that; JSON Schema cannot say it)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = defs[ref.removeprefix("#/$defs/")]
    found: list[str] = []
    if isinstance(data, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in data.items():
            child = props.get(key, extra if isinstance(extra, dict) else {})
            found += list_map_duplicates(value, child, defs, f"{where}.{key}".lstrip("."))
    elif isinstance(data, list):
        keys = schema.get("x-kubernetes-list-map-keys")
        if schema.get("x-kubernetes-list-type") == "map" and keys:
            seen: set[tuple[Any, ...]] = set()
            for item in data:
                key = tuple(item.get(k) for k in keys) if isinstance(item, dict) else (item,)
                if key in seen:
                    found.append(f"{where}: {', '.join(keys)} {'/'.join(map(str, key))} twice")
                seen.add(key)
        for index, item in enumerate(data):
            found += list_map_duplicates(item, schema.get("items", {}), defs, f"{where}[{index}]")
    return found


def check_custom_resources(tree: Path, folder: str, schemas: Path) -> None:
    """Every monitoring.coreos.com object against its CRD's schema (`schemas`: a folder of
    `<group>_<version>_<Kind>.json`, strict), and its list-map keys."""
    for relative, obj in objects(tree, folder):
        api_version = obj.get("apiVersion", "")
        if not api_version.startswith(CUSTOM_GROUP):
            continue
        try:
            schema = _crd_schema(schemas, api_version, obj["kind"])
        except FileNotFoundError:
            raise DefinitionError(f"no schema for {api_version} {obj['kind']} in {schemas}", file=relative) from None
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(obj))
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
            raise DefinitionError(f"{error.message} (at {where})", obj=_where(obj), file=relative)
        duplicates = list_map_duplicates(obj, schema, schema.get("$defs", {}))
        if duplicates:
            raise DefinitionError(duplicates[0], obj=_where(obj), file=relative)


def check_unique_keys(tree: Path, folder: str) -> None:
    """What must be unique without a CRD schema at hand: each object (kind, namespace, name), the
    rule group names across every PrometheusRule, the receivers of the Alertmanager config."""
    seen: dict[tuple[str, str, str], str] = {}
    groups: dict[str, str] = {}
    for relative, obj in objects(tree, folder):
        meta = obj.get("metadata", {})
        identity = (obj["kind"], meta.get("namespace", ""), meta.get("name", ""))
        if identity in seen:
            raise DefinitionError(f"{' '.join(identity)} is also written by {seen[identity]}", file=relative)
        seen[identity] = relative
        for group in (obj.get("spec") or {}).get("groups", []) if obj["kind"] == "PrometheusRule" else []:
            if group["name"] in groups:
                raise DefinitionError(
                    f"rule group {group['name']!r} is also in {groups[group['name']]}", obj=_where(obj), file=relative
                )
            groups[group["name"]] = relative


def _extracted(
    tree: Path, folder: str, kind: str, pick: Callable[[dict[str, Any]], str | None], suffix: str
) -> Iterator[tuple[str, str]]:
    for relative, obj in objects(tree, folder):
        if obj["kind"] == kind:
            text = pick(obj)
            if text is not None:
                yield f"{Path(relative).stem}{suffix}", text


def check_rule_specs(tree: Path, folder: str) -> None:
    """promtool checks every PrometheusRule's spec as the rule file it is."""
    with tempfile.TemporaryDirectory(prefix="mac-rules-") as tmp:
        specs = Path(tmp) / "rules"
        specs.mkdir()
        for name, text in _extracted(tree, folder, "PrometheusRule", lambda o: to_yaml(o["spec"]), ".yml"):
            (specs / name).write_text(text)
        promtool.check_rules(Path(tmp), "rules")


def check_alertmanager_secret(tree: Path, folder: str, key: str) -> None:
    """amtool checks the alertmanager.yaml inside the configSecret."""
    found = list(_extracted(tree, folder, "Secret", lambda o: (o.get("stringData") or {}).get(key), ".yml"))
    if not found:
        raise DefinitionError(f"no Secret holds {key}", file=folder)
    with tempfile.TemporaryDirectory(prefix="mac-am-") as tmp:
        for name, text in found:
            (Path(tmp) / name).write_text(text)
            amtool.check_config(Path(tmp), name)


def _probe_modules(obj: dict[str, Any]) -> list[str | None]:
    """The blackbox modules an object asks for: a Probe's `module`, a per-pod probe's (PodMonitor)
    `module` parameter of each endpoint."""
    if obj["kind"] == "Probe":
        return [obj["spec"].get("module")]
    if obj["kind"] == "PodMonitor":
        endpoints = obj["spec"].get("podMetricsEndpoints") or []
        return [
            m for e in endpoints if e.get("path") == "/probe" for m in (e.get("params") or {}).get("module", [None])
        ]
    return []


def check_probe_modules(tree: Path, folder: str, config_key: str) -> None:
    """Every probe's module (Probes, per-pod PodMonitors) is a module of the blackbox config the
    ConfigMap ships."""
    modules: set[str] = set()
    for _, obj in objects(tree, folder):
        if obj["kind"] == "ConfigMap" and config_key in (obj.get("data") or {}):
            modules |= set((from_yaml(obj["data"][config_key]) or {}).get("modules") or {})
    for relative, obj in objects(tree, folder):
        for module in _probe_modules(obj):
            if module not in modules:
                raise DefinitionError(
                    f"module {module!r} is not in the shipped blackbox config ({', '.join(sorted(modules))})",
                    obj=_where(obj),
                    file=relative,
                )


def check_dashboard_previews(tree: Path, folder: str, previews: str, label: str) -> None:
    """The previews beside the manifests match the dashboards their ConfigMaps carry."""
    dashboards = [
        (relative, json.loads(text))
        for relative, obj in objects(tree, folder)
        if obj["kind"] == "ConfigMap" and label in obj["metadata"].get("labels", {})
        for text in obj["data"].values()
    ]
    previews_check.check_all(tree / previews, dashboards, tree)
