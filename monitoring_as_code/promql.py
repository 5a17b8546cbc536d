"""PromQL helpers over promql-parser's AST."""

from __future__ import annotations

import promql_parser


def parse_promql(expr: str) -> promql_parser.Expr:
    try:
        return promql_parser.parse(expr)
    except Exception as exc:  # the parser raises ValueError or its own error types
        raise ValueError(f"expr does not parse: {exc}") from exc


def metric_names(expr: str) -> list[str]:
    """Names of the series an expression selects, in order of appearance, without repeats."""
    names: list[str] = []

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name and node.name not in names:
            names.append(node.name)

    promql_parser.walk(parse_promql(expr), visit)
    return names
