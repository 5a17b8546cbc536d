"""Grafana's files, checked without a Grafana: the dashboards against a schema of our own written
from Grafana's documented fields (plus the grid, ids and variables), the provisioning files against
allow-lists of the documented fields, and every datasource a dashboard uses against the provisioned
ones. The schemas ship in the package (no copy of Grafana's own: a user's clone works alone)."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from monitoring_as_code.dashboard import ALERTMANAGER, grid_problem, is_builtin, variable_references
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.serialize import read_yaml
from monitoring_as_code.validate.previews import check_all

DASHBOARD_SCHEMA = "grafana-dashboard.schema.json"
DATASOURCES_SCHEMA = "grafana-datasources.schema.json"
PROVIDERS_SCHEMA = "grafana-dashboard-providers.schema.json"


_LOCAL_REF = "#/$defs/"


def _inline_refs(node: Any, defs: Mapping[str, Any], expanding: tuple[str, ...] = ()) -> Any:
    """`node` with each `{"$ref": "#/$defs/NAME"}` replaced by that definition (a recursive one
    stays a $ref): jsonschema resolves a $ref anew at every use, half the time it spent on a dashboard."""
    if isinstance(node, list):
        return [_inline_refs(item, defs, expanding) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if len(node) == 1 and isinstance(ref, str) and ref.startswith(_LOCAL_REF) and ref not in expanding:
        target: Any = defs
        for part in ref.removeprefix(_LOCAL_REF).split("/"):
            target = target[part]
        return _inline_refs(target, defs, (*expanding, ref))
    return {key: _inline_refs(value, defs, expanding) for key, value in node.items()}


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files("monitoring_as_code").joinpath(name).read_text())


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = _schema(name)
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


@functools.cache
def _verdict(name: str) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(_schema(name))


def check_schema(data: Any, schema: str, file: str) -> None:
    """Raise the most relevant schema error of `data`, naming the key path. The Rust validator
    gives the verdict (about 40x faster on a dashboard); jsonschema explains a failure, so the
    messages stay those of the reference implementation."""
    if _verdict(schema).is_valid(data):
        return
    error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(data))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise DefinitionError(error.message, obj=where, file=file)


def _relative(tree: Path, path: Path) -> str:
    return str(path.relative_to(tree))


def _files(tree: Path, folder: str, pattern: str) -> list[Path]:
    return sorted((tree / folder).glob(pattern))


# check_dashboards and check_datasource_uids read the same files in parallel threads: the digests
# of the dashboard texts that passed the schema, so that each is checked once (the lock makes the
# second reader wait for the first's verdict).
_SCHEMA_PASSED: set[bytes] = set()
_SCHEMA_LOCK = threading.Lock()


def _dashboards(tree: Path, folder: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each dashboard file with its JSON, checked against the schema (so its keys can be relied on)."""
    for path in _files(tree, folder, "*.json"):
        relative = _relative(tree, path)
        try:
            text = path.read_text(encoding="utf-8")
            dashboard = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DefinitionError(f"not JSON: {exc}", file=relative) from exc
        digest = hashlib.sha256(text.encode()).digest()
        with _SCHEMA_LOCK:
            if digest not in _SCHEMA_PASSED:
                check_schema(dashboard, DASHBOARD_SCHEMA, relative)
                _SCHEMA_PASSED.add(digest)
        yield relative, dashboard


def _panel_name(panel: Mapping[str, Any]) -> str:
    return f"panel {panel['id']} {panel['title']!r}"


def check_dashboards(tree: Path, folder: str, previews: str = "") -> None:
    """Each dashboard file; and, with `previews` (their folder), each dashboard's preview, from the
    JSON parsed here once (a dashboard is larger than its preview: parsing it again cost as much)."""
    drawn = [] if previews and (tree / previews).is_dir() else None
    for relative, dashboard in _dashboards(tree, folder):
        if drawn is not None:
            drawn.append((relative, _drawn(dashboard)))
        if Path(relative).stem != dashboard["uid"]:
            # One file per uid keeps uids unique across the folder Grafana loads.
            raise DefinitionError(f"file name does not match uid {dashboard['uid']!r}", file=relative)
        panels = dashboard["panels"]
        ids = [p["id"] for p in panels]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate is not None:
            raise DefinitionError(f"panel id {duplicate} is used twice", file=relative)
        problem = grid_problem((_panel_name(p), *(p["gridPos"][k] for k in "xywh")) for p in panels)
        if problem:
            raise DefinitionError(problem, obj="gridPos", file=relative)
        defined = {v["name"] for v in dashboard["templating"]["list"]}
        for panel in panels:
            texts = [panel["datasource"]["uid"]]
            texts += [text for t in panel["targets"] for text in (t["expr"], t["datasource"]["uid"])]
            used = {n for text in texts for n in variable_references(text) if not is_builtin(n)}
            unknown = sorted(used - defined)
            if unknown:
                raise DefinitionError(f"uses undefined variable ${unknown[0]}", obj=_panel_name(panel), file=relative)
    if drawn is not None:
        check_all(tree / previews, drawn, tree)


def _drawn(dashboard: Mapping[str, Any]) -> dict[str, Any]:
    """What a preview shows of a dashboard (all the previews' check reads, kept while the rest goes)."""
    panels = [{key: panel[key] for key in ("id", "title", "gridPos")} for panel in dashboard["panels"]]
    return {"uid": dashboard["uid"], "panels": panels}


def _provisioning_files(tree: Path, folder: str, schema: str) -> list[tuple[str, Any]]:
    """Each provisioning file of `folder` with its data, checked against its allow-list schema."""
    files = _files(tree, folder, "*.yml")
    if not files:
        raise DefinitionError("missing: no provisioning file", file=folder)
    out = []
    for path in files:
        relative = _relative(tree, path)
        data = read_yaml(path)
        check_schema(data, schema, relative)
        out.append((relative, data))
    return out


def check_provisioning(tree: Path, providers: str, datasources: str) -> None:
    _provisioning_files(tree, providers, PROVIDERS_SCHEMA)
    seen: dict[str, str] = {}
    default = None
    for relative, data in _provisioning_files(tree, datasources, DATASOURCES_SCHEMA):
        for source in data["datasources"]:
            for key in (source["uid"], f"name {source['name']}"):
                if key in seen:
                    raise DefinitionError(f"provisioned twice (also in {seen[key]})", obj=key, file=relative)
                seen[key] = relative
            if source.get("isDefault"):
                if default is not None:
                    # Grafana allows one default datasource per organization.
                    raise DefinitionError(
                        f"more than one default datasource (also {default})", obj=source["name"], file=relative
                    )
                default = source["name"]


def _datasource_refs(dashboard: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, str]]]:
    """(where, {"type", "uid"}) for every datasource reference in a dashboard, datasource variables
    included (their preset uid must be provisioned even where no panel uses them)."""
    for variable in dashboard["templating"]["list"]:
        where = f"variable {variable['name']}"
        if variable["type"] == "datasource":
            yield where, {"type": variable["query"], "uid": f"${{{variable['name']}}}"}
        if "datasource" in variable:
            yield where, variable["datasource"]
    for panel in dashboard["panels"]:
        yield _panel_name(panel), panel["datasource"]
        for target in panel["targets"]:
            yield f"{_panel_name(panel)} target {target['refId']}", target["datasource"]


def _used_uid(ref: Mapping[str, str], variables: Mapping[str, Mapping[str, Any]]) -> str:
    """The uid a reference resolves to: itself, or the preset value of the datasource variable it names."""
    names = variable_references(ref["uid"])
    if not names:
        return ref["uid"]
    variable = variables.get(next(iter(names)), {})
    if variable.get("type") != "datasource" or variable.get("query") != ref["type"]:
        raise ValueError(f"uid {ref['uid']} is not a {ref['type']} datasource variable")
    value = variable["current"]["value"]
    return str(value[0] if isinstance(value, list) else value)


def check_datasource_uids(tree: Path, dashboards: str, datasources: str) -> None:
    """Every datasource uid a dashboard uses (directly or as a datasource variable's preset value)
    is provisioned, with the same plugin type; so is the Prometheus datasource's Alertmanager."""
    files = _provisioning_files(tree, datasources, DATASOURCES_SCHEMA)
    provisioned = {s["uid"]: s["type"] for _, data in files for s in data["datasources"]}  # uid -> plugin
    known = ", ".join(sorted(provisioned))
    for relative, data in files:
        for source in data["datasources"]:
            alertmanager = source.get("jsonData", {}).get("alertmanagerUid")
            if alertmanager is not None and provisioned.get(alertmanager) != ALERTMANAGER:
                raise DefinitionError(
                    f"alertmanagerUid {alertmanager!r} is not a provisioned alertmanager datasource",
                    obj=f"datasource {source['name']}",
                    file=relative,
                )
    for relative, dashboard in _dashboards(tree, dashboards):
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        for where, ref in _datasource_refs(dashboard):
            try:
                uid = _used_uid(ref, variables)
            except ValueError as exc:
                raise DefinitionError(str(exc), obj=where, file=relative) from exc
            if uid not in provisioned:
                raise DefinitionError(
                    f"datasource uid {uid!r} is not provisioned (provisioned: {known})", obj=where, file=relative
                )
            if provisioned[uid] != ref["type"]:
                raise DefinitionError(
                    f"datasource uid {uid!r} is a {provisioned[uid]} datasource, not {ref['type']}",
                    obj=where,
                    file=relative,
                )
