"""PromQL helpers over promql-parser's AST."""

from __future__ import annotations

import functools
import re

import promql_parser

# How deep an expression may nest: its deepest bracket plus its binary operators (each one a level
# of the syntax tree). The parser and the walkers over its tree recurse once per level: 1,000
# parentheses overflowed Python's stack and 5,000 chained `+` crashed the process. Real rules stay
# far below (the deepest here is under 20).
MAX_NESTING = 200
MAX_CHARS = 64 * 1024
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_BRACKET = re.compile(r"[(\[{)\]}]")
_BINARY_OPERATOR = re.compile(r"==|!=|>=|<=|[-+*/%^<>]|\b(?:and|or|unless|atan2)\b")


def nesting(expr: str) -> int:
    """An upper bound of the depth of the syntax tree of a PromQL or LogQL expression, counted
    without parsing it: string literals are skipped, every bracket and binary operator counts."""
    text = _STRING.sub('""', expr)
    depth = deepest = 0
    for char in _BRACKET.findall(text):  # the brackets alone: a tenth of the characters
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest + len(_BINARY_OPERATOR.findall(text))


def check_size(expr: str, language: str) -> None:
    """Refuse, before parsing, an expression too long or too deeply nested to parse safely."""
    if len(expr) > MAX_CHARS:
        raise ValueError(f"{language} expression is {len(expr)} characters, more than {MAX_CHARS}")
    depth = nesting(expr)
    if depth > MAX_NESTING:
        raise ValueError(
            f"{language} expression nests {depth} levels (brackets plus operators), more than {MAX_NESTING}"
        )


MIN_RATE_SCRAPES = 4  # two samples survive one missed scrape only from four intervals up


# The model checks each expression on construction, again when the definitions' child process
# hands it over (isolation.py), and lint walks it: one parse per expression and process. The
# trees are only read.
@functools.lru_cache(maxsize=8192)
def parse_promql(expr: str) -> promql_parser.Expr:
    check_size(expr, "PromQL")
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


def label_usage(expr: str) -> dict[str, set[str]]:
    """Series name -> the labels the expression relies on for it: its matchers, and the
    by/on/ignoring labels of every aggregation or match above it."""
    usage: dict[str, set[str]] = {}

    def visit(node: object, inherited: frozenset[str]) -> None:
        if isinstance(node, promql_parser.MatrixSelector):
            node = node.vector_selector
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                matchers = {m.name for m in node.matchers.matchers if m.name != "__name__"}
                usage.setdefault(node.name, set()).update(matchers | inherited)
            return
        if isinstance(node, promql_parser.AggregateExpr):
            grouping = frozenset(node.modifier.labels) if node.modifier else frozenset()
            visit(node.expr, inherited | grouping)
            return
        if isinstance(node, promql_parser.BinaryExpr):
            matching = node.modifier.matching if node.modifier else None
            matched = frozenset(matching.labels) if matching else frozenset()
            visit(node.lhs, inherited | matched)
            visit(node.rhs, inherited | matched)
            return
        if isinstance(node, promql_parser.Call):
            # label_replace(v, dst, replacement, src, regex) and label_join(v, dst, sep, src...) read src
            sources = node.args[3:4] if node.func.name == "label_replace" else node.args[3:]
            if node.func.name in ("label_replace", "label_join"):
                inherited = inherited | {a.val for a in sources if isinstance(a, promql_parser.StringLiteral) and a.val}
            for arg in node.args:
                visit(arg, inherited)
            return
        for child in ("expr", "lhs", "rhs"):
            if hasattr(node, child):
                visit(getattr(node, child), inherited)

    visit(parse_promql(expr), frozenset())
    return usage


RATE_FUNCTIONS = frozenset({"rate", "irate", "increase"})
COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
CONDITION_FUNCTIONS = frozenset({"absent", "absent_over_time"})
LABEL_FUNCTIONS = frozenset({"label_replace", "label_join"})


def _unwrap(node: promql_parser.Expr) -> promql_parser.Expr:
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def label_sources(expr: str, label: str) -> list[str]:
    """The labels that label_replace() or label_join() in an expression copy into `label`, in
    order of appearance, without repeats (none: the expression does not set it)."""
    sources: list[str] = []

    def visit(node: object) -> None:
        if not isinstance(node, promql_parser.Call) or node.func.name not in LABEL_FUNCTIONS or len(node.args) < 4:
            return
        target = node.args[1]
        if isinstance(target, promql_parser.StringLiteral) and target.val == label:
            read = node.args[3:4] if node.func.name == "label_replace" else node.args[3:]
            for arg in read:
                if isinstance(arg, promql_parser.StringLiteral) and arg.val and arg.val not in sources:
                    sources.append(arg.val)

    promql_parser.walk(parse_promql(expr), visit)
    return sources


def rate_windows(expr: str) -> list[tuple[str, float]]:
    """(function, window in seconds) for every rate(), irate() and increase() of an expression."""
    windows: list[tuple[str, float]] = []

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.Call) and node.func.name in RATE_FUNCTIONS and node.args:
            arg = _unwrap(node.args[0])
            if isinstance(arg, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
                windows.append((node.func.name, arg.range.total_seconds()))

    promql_parser.walk(parse_promql(expr), visit)
    return windows


def is_condition(node: promql_parser.Expr) -> bool:
    """Whether an expression returns only the series that meet a condition: a comparison without
    `bool`, absent(), or a set operation that keeps only such series."""
    node = _unwrap(node)
    if isinstance(node, promql_parser.BinaryExpr):
        op = str(node.op)
        if op in COMPARISONS:
            return not (node.modifier is not None and node.modifier.return_bool)
        if op == "and":  # either side filters
            return is_condition(node.lhs) or is_condition(node.rhs)
        if op == "unless":
            return is_condition(node.lhs)
        if op == "or":
            return is_condition(node.lhs) and is_condition(node.rhs)
        return False
    if isinstance(node, promql_parser.AggregateExpr):  # no series meets it: no group at all
        return is_condition(node.expr)
    if isinstance(node, promql_parser.Call):
        if node.func.name in CONDITION_FUNCTIONS:
            return True
        return node.func.name in LABEL_FUNCTIONS and is_condition(node.args[0])
    return False
