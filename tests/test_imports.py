"""The engine has one direction of flow: no module imports, however indirectly or lazily, a
module that imports it back (a function-level import counts: it only hides the circle)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

ENGINE = REPO / "monitoring_as_code"


def _module_name(path: Path, top: Path) -> str:
    parts = path.relative_to(top.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(top: Path) -> dict[str, set[str]]:
    """Module -> the engine modules it imports anywhere in its text (a package's submodule named
    in `from package import submodule` counts as that submodule), and the package it is in, whose
    __init__ runs before it."""
    modules = {_module_name(p, top): p for p in sorted(top.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = {name.rpartition(".")[0]} if "." in name else set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}".rstrip(".")
                edges.add(base)
                edges |= {f"{base}.{alias.name}" for alias in node.names}
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_engine_has_no_import_circle() -> None:
    assert cycles(import_graph(ENGINE)) == []


def test_a_lazy_import_that_closes_a_circle_is_found(tmp_path: Path) -> None:
    package = tmp_path / "monitoring_as_code"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from monitoring_as_code import b\n")
    (package / "b.py").write_text("def f():\n    from monitoring_as_code.a import x\n")
    (package / "c.py").write_text("from . import a\n")
    assert cycles(import_graph(package)) == [["monitoring_as_code.a", "monitoring_as_code.b"]]


def test_a_package_whose_init_imports_a_module_that_imports_the_package_back_is_a_circle(tmp_path: Path) -> None:
    package = tmp_path / "monitoring_as_code"
    (package / "unit").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "unit" / "__init__.py").write_text("from monitoring_as_code import render\n")
    (package / "unit" / "settings.py").write_text("X = 1\n")
    (package / "render.py").write_text("from monitoring_as_code.unit.settings import X\n")
    assert cycles(import_graph(package)) == [
        ["monitoring_as_code.render", "monitoring_as_code.unit", "monitoring_as_code.unit.settings"]
    ]
