"""The dashboard model: Grafana dashboards whose panels and variables are grafanalib objects,
checked on construction.

Definitions author with grafanalib's classes, so its vocabulary and defaults apply. grafanalib's
own output is Grafana's legacy JSON (schemaVersion 12: rows, spans, nulls); render/grafana.py
writes current JSON from the objects' attributes instead. An attribute that renderer does not
translate is refused here when a definition sets it, so nothing a definition says is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attr
import attrs
from grafanalib import core

from monitoring_as_code.checked import Checked
from monitoring_as_code.duration import format_duration
from monitoring_as_code.logql import parse_logql
from monitoring_as_code.model import check_lint_disable
from monitoring_as_code.panels.heatmap import Heatmap
from monitoring_as_code.panels.registry import KINDS
from monitoring_as_code.promql import MIN_RATE_SCRAPES, parse_promql

if TYPE_CHECKING:
    from monitoring_as_code.settings import Settings

GRID_COLUMNS = 24
# A dashboard Grafana still opens quickly, and a bound on the queries lint expands (docs/hardening.md, "Limits").
MAX_PANELS = 200
PROMETHEUS, LOKI = "prometheus", "loki"  # plugin ids of the datasources panels query
ALERTMANAGER = "alertmanager"  # plugin id of Grafana's Alertmanager datasource
_UID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")  # Grafana: "string (8-40)"
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# $name, ${name}, ${name:format} and the deprecated [[name]]; names start with a letter or _,
# so PromQL's "$1" in label_replace is not taken for one.
_VARIABLE_REFERENCE = re.compile(r"\$([A-Za-z_]\w*)|\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\[\[([A-Za-z_]\w*)(?::[^\]]*)?\]\]")


# Supported panel classes -> Grafana's panel plugin id, and the attributes render/grafana.py writes
# (every other one must keep grafanalib's default).
PANEL_TYPES: Mapping[type, str] = {cls: kind.plugin for cls, kind in KINDS.items()}
TRANSLATED: Mapping[type, frozenset[str]] = {cls: kind.translated for cls, kind in KINDS.items()}
TRANSLATED_Y_AXIS = frozenset({"format", "decimals"})
TRANSLATED_TARGET = frozenset({"expr", "refId", "legendFormat", "format", "instant", "interval", "hide"})
TRANSLATED_VARIABLE = frozenset(
    {"name", "query", "type", "label", "default", "dataSource", "includeAll", "multi", "allValue"}
    | {"refresh", "sort", "hide", "regex", "options"}
)
VARIABLE_TYPES = ("datasource", "query", "custom")
MAPPINGS = (core.StatValueMappings, core.StatRangeMappings)  # the ones grafanalib writes in the current format


def _default(field: attrs.Attribute[Any]) -> Any:
    default = field.default
    if isinstance(default, attrs.Factory):
        return default.factory(None) if default.takes_self else default.factory()
    return default


def untranslated(obj: Any, translated: frozenset[str]) -> list[str]:
    """Attributes of a grafanalib object set away from their default that the renderer ignores."""
    return [
        field.name
        for field in attrs.fields(type(obj))
        if field.init
        and field.name not in translated
        and field.default is not attrs.NOTHING
        and getattr(obj, field.name) != _default(field)
    ]


def unit_of(panel: Any) -> str:
    """The Grafana unit id of what a panel shows (for a heatmap: of its cells)."""
    return KINDS[type(panel)].unit(panel)


def _variable_name(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g)


def variable_references(text: str) -> set[str]:
    """Names of the dashboard variables a query or datasource uid refers to ($name, ${name}, [[name]])."""
    return {_variable_name(match) for match in _VARIABLE_REFERENCE.finditer(text)}


def expand_variables(text: str, values: Mapping[str, str]) -> str:
    """`text` with Grafana's variables replaced by `values`, so that a query parses; an unknown
    variable is left in place (and then fails to parse, as it should)."""
    return _VARIABLE_REFERENCE.sub(lambda match: values.get(_variable_name(match), match.group(0)), text)


def parseable(expr: str) -> str:
    """A query with every variable as a duration: each stands for a value or a range there, and a
    duration keeps the PromQL (or LogQL) parseable."""
    return _VARIABLE_REFERENCE.sub("5m", expr)


def queries(dashboard: Dashboard, plugin: str) -> Iterator[tuple[Any, str]]:
    """(panel, query) for every target of the panels querying that datasource plugin."""
    for panel in dashboard.panels:
        if panel.dataSource["type"] == plugin:
            for target in panel.targets:
                yield panel, target.expr


def expanded_promql(
    dashboard: Dashboard, settings: Settings, builtins: Mapping[str, str] | None = None
) -> Iterator[tuple[Any, str]]:
    """(panel, query) for every Prometheus query, with Grafana's built-in variables as Grafana
    resolves them for these settings (or as `builtins` gives them) and each dashboard variable at "All"."""
    scrape = settings.intervals.scrape
    values = {
        "__rate_interval": format_duration(MIN_RATE_SCRAPES * scrape),  # the datasource's timeInterval x 4
        "__interval": format_duration(scrape),
        "__range": format_duration(settings.grafana.time_range),
        **(builtins or {}),
    }
    for variable in dashboard.variables:
        values.setdefault(variable.name, variable.allValue or ".*")  # "All", as the dashboards open
    for panel, expr in queries(dashboard, PROMETHEUS):
        yield panel, expand_variables(expr, values)


def is_builtin(name: str) -> bool:
    """Grafana's global variables ($__rate_interval, $__range, $__all ...) all start with two underscores."""
    return name.startswith("__")


def grid_problem(boxes: Iterable[tuple[str, int, int, int, int]]) -> str | None:
    """The first layout error among panels given as (name, x, y, w, h): each must lie inside the
    24 columns, and no two may overlap. None when the layout is sound."""
    placed: list[tuple[str, int, int, int, int]] = []
    for name, x, y, w, h in boxes:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (x, y, w, h)):
            return f"{name}: gridPos x, y, w, h must be integers"
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
            return f"{name}: gridPos x={x} w={w} y={y} h={h} does not fit the {GRID_COLUMNS} columns"
        for other, ox, oy, ow, oh in placed:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                return f"{name} overlaps {other}"
        placed.append((name, x, y, w, h))
    return None


def panel_name(panel: Any) -> str:
    return f"panel {getattr(panel, 'id', '?')} {getattr(panel, 'title', '')!r}"


def grid(*rows: tuple[int, Sequence[tuple[int, Any]]]) -> list[Any]:
    """Panels laid out row by row, left to right: each row is (height, [(width, panel), ...]).
    Sets each panel's gridPos; Dashboard checks that the result fits the 24 columns."""
    panels: list[Any] = []
    y = 0
    for height, row in rows:
        x = 0
        for width, panel in row:
            panels.append(attr.evolve(panel, gridPos=core.GridPos(h=height, w=width, x=x, y=y)))
            x += width
        y += height
    return panels


def datasource_variable(name: str, plugin: str, uid: str, label: str) -> core.Template:
    """A variable choosing the `plugin` datasource the panels query, preset to the provisioned `uid`."""
    return core.Template(name=name, label=label, type="datasource", query=plugin, default=uid)


def ref(variable: core.Template) -> dict[str, str]:
    """The dataSource of panels (and query variables) that query through a datasource variable."""
    return {"type": variable.query, "uid": f"${{{variable.name}}}"}


def _text(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is missing")


def _refuse_untranslated(obj: Any, translated: frozenset[str], what: str) -> None:
    ignored = untranslated(obj, translated)
    if ignored:
        raise ValueError(
            f"{what}: {', '.join(ignored)} would not be written to current Grafana JSON; keep grafanalib's default"
        )


def _plugin_of(datasource: Any, variables: Mapping[str, core.Template]) -> str:
    """The plugin id a dataSource reference names, after checking a variable uid exists."""
    if not isinstance(datasource, Mapping) or set(datasource) != {"type", "uid"}:
        raise ValueError('dataSource must be {"type": ..., "uid": ...} (see dashboard.ref)')
    plugin, uid = datasource["type"], datasource["uid"]
    if plugin not in (PROMETHEUS, LOKI):
        raise ValueError(f"dataSource type {plugin!r} is not {PROMETHEUS} or {LOKI}")
    if not isinstance(uid, str) or not uid:
        raise ValueError("dataSource uid is missing")
    for name in variable_references(uid):
        variable = variables.get(name)
        if variable is None or variable.type != "datasource" or variable.query != plugin:
            raise ValueError(f"dataSource uid {uid} is not a {plugin} datasource variable defined before")
    return str(plugin)


def _check_target(target: Any, plugin: str, variables: Mapping[str, core.Template]) -> None:
    if not isinstance(target, core.Target):
        raise ValueError(f"target {target!r} is not a grafanalib Target")
    _refuse_untranslated(target, TRANSLATED_TARGET, f"target {target.refId}")
    _text(target.refId, "target refId")
    _text(target.expr, f"target {target.refId}: expr")
    unknown = sorted(n for n in variable_references(target.expr) if not is_builtin(n) and n not in variables)
    if unknown:
        raise ValueError(f"target {target.refId}: unknown variable ${unknown[0]}")
    if plugin == PROMETHEUS:
        parse_promql(parseable(target.expr))
    else:
        try:
            parse_logql(parseable(target.expr))
        except ValueError as exc:
            raise ValueError(f"target {target.refId}: {exc}") from exc


def _check_thresholds(thresholds: Any) -> None:
    steps = list(thresholds or ())  # grafanalib's Stat defaults to "" for none
    if not all(isinstance(t, core.Threshold) for t in steps):
        raise ValueError("thresholds must be grafanalib Threshold objects")
    if steps and steps[0].index != 0:
        raise ValueError("the first threshold is the base (index 0)")
    values = [t.value for t in steps[1:]]
    if values != sorted(values) or [t.index for t in steps] != list(range(len(steps))):
        raise ValueError("thresholds must be in ascending order of index and value")


def _check_panel(panel: Any, variables: Mapping[str, core.Template]) -> None:
    kind = type(panel)
    if kind not in PANEL_TYPES:
        names = ", ".join(sorted(k.__name__ for k in PANEL_TYPES))
        raise ValueError(f"a {kind.__name__} is not a supported panel ({names}; Heatmap is dashboard.Heatmap)")
    _refuse_untranslated(panel, TRANSLATED[kind], "attributes")
    if not isinstance(panel.id, int) or isinstance(panel.id, bool) or panel.id < 1:
        raise ValueError("needs a stable id: a positive integer")
    # Title, description, unit, targets and the layout are conventions: lint rules (lint/dashboards.py).
    if not isinstance(panel.gridPos, core.GridPos):
        raise ValueError("needs a gridPos (see dashboard.grid)")
    if isinstance(panel, Heatmap):
        _refuse_untranslated(panel.yAxis, TRANSLATED_Y_AXIS, "yAxis")
        _text(panel.yAxis.format, "yAxis.format (the unit of the buckets)")
    plugin = _plugin_of(panel.dataSource, variables)
    for target in panel.targets:
        _check_target(target, plugin, variables)
    refs = [t.refId for t in panel.targets]
    if len(set(refs)) != len(refs):
        raise ValueError("target refIds must be unique")
    mappings = panel.valueMaps if isinstance(panel, core.GaugePanel) else getattr(panel, "mappings", [])
    if not all(isinstance(m, MAPPINGS) for m in mappings):
        raise ValueError("mappings must be StatValueMappings or StatRangeMappings")
    if KINDS[kind].has_thresholds:
        _check_thresholds(panel.thresholds)


def _check_variables(templates: Sequence[Any]) -> dict[str, core.Template]:
    """The variables by name, in order: a query variable may only use a datasource defined before it."""
    variables: dict[str, core.Template] = {}
    for template in templates:
        if not isinstance(template, core.Template):
            raise ValueError(f"variable {template!r} is not a grafanalib Template")
        name = template.name
        if not isinstance(name, str) or not _VARIABLE_NAME.match(name) or is_builtin(name):
            raise ValueError(f"variable name {name!r} is not a name (letters, digits, _; no leading __)")
        if name in variables:
            raise ValueError(f"variable {name} is defined twice")
        _refuse_untranslated(template, TRANSLATED_VARIABLE, f"variable {name}")
        if template.type not in VARIABLE_TYPES:
            raise ValueError(f"variable {name}: type {template.type!r} is not one of {', '.join(VARIABLE_TYPES)}")
        _text(template.query, f"variable {name}: query")
        if template.type == "datasource":
            _text(template.default, f"variable {name}: default (the provisioned datasource uid)")
        elif template.type == "query":
            try:
                _plugin_of(template.dataSource, variables)
            except ValueError as exc:
                raise ValueError(f"variable {name}: {exc}") from exc
        variables[name] = template
    return variables


@attrs.frozen
class Dashboard(Checked):
    """One Grafana dashboard, written to generated/grafana/dashboards/<uid>.json. Time range and
    refresh come from settings (`grafana`), the same for every dashboard."""

    uid: str
    title: str
    description: str
    panels: tuple[Any, ...] = attrs.field(converter=tuple)
    variables: tuple[core.Template, ...] = attrs.field(default=(), converter=tuple)
    tags: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    links: tuple[core.DashboardLink, ...] = attrs.field(default=(), converter=tuple)
    lint_disable: Mapping[str, str] = attrs.field(factory=dict)  # lint rule id -> why it does not apply
    kind = "dashboard"

    @property
    def name(self) -> str:
        return self.uid

    def _check(self) -> None:
        if not isinstance(self.uid, str) or not _UID.match(self.uid):
            raise ValueError(f"uid {self.uid!r} must be 8 to 40 letters, digits, - or _")
        if not isinstance(self.title, str) or not isinstance(self.description, str):
            raise ValueError("title and description must be strings")
        check_lint_disable(self.lint_disable)
        if not all(isinstance(tag, str) and tag for tag in self.tags):
            raise ValueError("tags must be non-empty strings")
        if not all(isinstance(link, core.DashboardLink) for link in self.links):
            raise ValueError("links must be grafanalib DashboardLink objects")
        variables = _check_variables(self.variables)
        if not self.panels:
            raise ValueError("needs at least one panel")
        if len(self.panels) > MAX_PANELS:
            raise ValueError(f"{len(self.panels)} panels, more than {MAX_PANELS}; split it into dashboards")
        ids: set[int] = set()
        for panel in self.panels:
            try:
                _check_panel(panel, variables)
            except ValueError as exc:
                raise ValueError(f"{panel_name(panel)}: {exc}") from exc
            if panel.id in ids:
                raise ValueError(f"{panel_name(panel)}: id {panel.id} is used twice")
            ids.add(panel.id)
