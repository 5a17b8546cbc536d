"""Offline PromQL analysis against the metric catalog.

Walks promql-parser's AST once per expression, inferring the labels each sub-expression carries,
and reports what would make a query silently wrong: an unknown metric or label, a rate over a
gauge, a quantile without `le`, a counter compared raw, a rate window too short to survive a
missed scrape. Each finding names the lint rule that produced it.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import promql_parser as pp

from monitoring_as_code.catalog import COUNTER, HISTOGRAM, PLATFORM_LABELS, SUMMARY, Metric
from monitoring_as_code.duration import format_duration
from monitoring_as_code.promql import MIN_RATE_SCRAPES, parse_promql

# Functions whose range argument is a counter's increase: a counter belongs inside them.
RATE_FUNCTIONS = frozenset({"rate", "irate", "increase"})
# Functions that read a counter's samples without needing its increase.
COUNTER_SAFE_FUNCTIONS = RATE_FUNCTIONS | frozenset(
    {"resets", "changes", "absent", "absent_over_time", "present_over_time", "count_over_time", "timestamp"}
)
COUNTER_SUFFIXES = ("_bucket", "_count", "_sum")
LABEL_ADDING_FUNCTIONS = frozenset({"label_replace", "label_join"})
SCALAR_FUNCTIONS = frozenset({"scalar", "time", "pi"})
# minute(), hour() ... return the labels of their argument (none without one): the general case.
NO_LABEL_FUNCTIONS = SCALAR_FUNCTIONS | {"vector"}

Labels = frozenset[str] | None  # None: not known statically; checks against it pass


@attrs.frozen
class Finding:
    rule: str
    message: str


@attrs.define
class _Walk:
    series: Mapping[str, tuple[Metric | None, Labels]]
    scrape_interval: float
    findings: list[Finding] = attrs.field(factory=list)

    def report(self, rule: str, message: str) -> None:
        finding = Finding(rule, message)
        if finding not in self.findings:
            self.findings.append(finding)

    def require(self, labels: Labels, wanted: list[str], where: str) -> None:
        if labels is None:
            return
        for label in wanted:
            if label not in labels:
                self.report("promql-unknown-label", f"label {label!r} in {where} is not on {sorted(labels)}")

    def require_grouping(self, labels: Labels, wanted: list[str], where: str) -> None:
        """by (...), without (...), on (...), ignoring (...): a platform's label may be absent."""
        self.require(labels, [label for label in wanted if label not in PLATFORM_LABELS], where)

    @staticmethod
    def kept(labels: Labels, grouping: list[str]) -> frozenset[str]:
        """What `by (grouping)` or `on (grouping)` keeps: a platform's label only where the operand
        has it (grouping by an absent label adds none, and a matcher on it would select nothing)."""
        return frozenset(g for g in grouping if g not in PLATFORM_LABELS or labels is None or g in labels)

    def selector(self, node: pp.VectorSelector, counter_ok: bool) -> Labels:
        entry = self.series.get(node.name or "")
        if entry is None:
            self.report("promql-unknown-metric", f"metric {node.name!r} is not in the catalog")
            return None
        metric, labels = entry
        names = [m.name for m in node.matchers.matchers if m.name != "__name__"]
        self.require(labels, names, f"{node.name}{{...}}")
        if metric is not None and not counter_ok and _is_counter_series(metric, node.name):
            self.report("promql-raw-counter", f"counter {node.name} is used without rate(), irate() or increase()")
        return labels

    def infer(self, node: pp.Expr, counter_ok: bool = False) -> Labels:
        if isinstance(node, pp.VectorSelector):
            return self.selector(node, counter_ok)
        if isinstance(node, pp.MatrixSelector):
            return self.selector(node.vector_selector, counter_ok)
        if isinstance(node, pp.ParenExpr | pp.UnaryExpr):
            return self.infer(node.expr, counter_ok)
        if isinstance(node, pp.SubqueryExpr):
            return self.infer(node.expr, counter_ok)
        if isinstance(node, pp.NumberLiteral | pp.StringLiteral):
            return frozenset()
        if isinstance(node, pp.AggregateExpr):
            return self.aggregate(node)
        if isinstance(node, pp.Call):
            return self.call(node)
        if isinstance(node, pp.BinaryExpr):
            return self.binary(node)
        return None

    def aggregate(self, node: pp.AggregateExpr) -> Labels:
        op = str(node.op)
        inner = self.infer(node.expr, counter_ok=op in ("count", "group"))
        if node.param is not None:
            self.infer(node.param)
        grouping = list(node.modifier.labels) if node.modifier else []
        self.require_grouping(inner, grouping, f"{op} {'without' if _is_without(node) else 'by'} (...)")
        if op == "count_values" and isinstance(node.param, pp.StringLiteral):
            extra = frozenset({node.param.val})
        else:
            extra = frozenset()
        if op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return inner
        if node.modifier is None:
            return extra
        if _is_without(node):
            return None if inner is None else (inner - set(grouping)) | extra
        return self.kept(inner, grouping) | extra

    def call(self, node: pp.Call) -> Labels:
        name = node.func.name
        args = list(node.args)
        vector_args = [a for a in args if not isinstance(a, pp.StringLiteral | pp.NumberLiteral)]
        if name in RATE_FUNCTIONS:
            self.rate_argument(name, args[0])
        if name == "histogram_quantile":
            return self.quantile(args)
        labels = [self.infer(a, counter_ok=name in COUNTER_SAFE_FUNCTIONS) for a in vector_args]
        if name in NO_LABEL_FUNCTIONS:
            return frozenset()
        if name == "absent":
            selector = _unwrap(args[0])
            if isinstance(selector, pp.VectorSelector):
                return frozenset(m.name for m in selector.matchers.matchers if m.op == pp.MatchOp.Equal)
            return frozenset()
        first = labels[0] if labels else frozenset()
        if name in LABEL_ADDING_FUNCTIONS and isinstance(args[1], pp.StringLiteral):
            # label_replace(v, dst, replacement, src, regex); label_join(v, dst, separator, src...)
            sources = args[3:4] if name == "label_replace" else args[3:]
            self.require(first, [a.val for a in sources if isinstance(a, pp.StringLiteral) and a.val], f"{name}(...)")
            return None if first is None else first | {args[1].val}
        return first

    def rate_argument(self, function: str, arg: pp.Expr) -> None:
        matrix = _unwrap(arg)
        if isinstance(matrix, pp.SubqueryExpr):
            return
        if not isinstance(matrix, pp.MatrixSelector):
            return
        name = matrix.vector_selector.name or ""
        entry = self.series.get(name)
        if entry is not None and entry[0] is not None and not _is_counter_series(entry[0], name):
            self.report("promql-rate-on-non-counter", f"{function}() over {name}, a {entry[0].type}, not a counter")
        window = matrix.range.total_seconds()
        if window < MIN_RATE_SCRAPES * self.scrape_interval:
            self.report(
                "promql-rate-window",
                f"{function}() window {format_duration(window)} on {name} is shorter than "
                f"{MIN_RATE_SCRAPES}x the scrape interval ({format_duration(MIN_RATE_SCRAPES * self.scrape_interval)})",
            )

    def quantile(self, args: list[pp.Expr]) -> Labels:
        inner = self.infer(args[1])
        selectors = _selector_names(args[1])
        if selectors and not all(n.endswith("_bucket") for n in selectors):
            self.report("promql-quantile-buckets", f"histogram_quantile() over {sorted(selectors)}, not _bucket series")
        if inner is not None and "le" not in inner:
            self.report("promql-quantile-buckets", "histogram_quantile() over an aggregation that drops `le`")
        return None if inner is None else inner - {"le"}

    def binary(self, node: pp.BinaryExpr) -> Labels:
        lhs, rhs = self.infer(node.lhs), self.infer(node.rhs)
        op = str(node.op)
        modifier = node.modifier
        lhs_vector, rhs_vector = not _is_scalar(node.lhs), not _is_scalar(node.rhs)
        if not (lhs_vector and rhs_vector):
            return lhs if lhs_vector else rhs
        matching = modifier.matching if modifier else None
        matched = list(matching.labels) if matching else []
        keeps_only_matched = matching is not None and "Include" in str(matching.type)  # on(...), not ignoring(...)
        both = None if lhs is None or rhs is None else lhs | rhs
        self.require_grouping(both, matched, f"{op} {'on' if keeps_only_matched else 'ignoring'}(...)")
        if op == "or":
            return both
        if op in ("and", "unless"):
            return lhs
        card = str(modifier.card) if modifier else ""
        if "ManyToOne" in card or "OneToMany" in card:
            side = lhs if "ManyToOne" in card else rhs
            included = list(modifier.group_labels or [])
            return None if side is None else side | set(included)
        comparison = op in ("==", "!=", ">", "<", ">=", "<=") and not (modifier and modifier.return_bool)
        if comparison or matching is None:
            return lhs
        if keeps_only_matched:
            return self.kept(both, matched)
        return None if lhs is None else lhs - set(matched)


def _is_without(node: pp.AggregateExpr) -> bool:
    return node.modifier is not None and "without" in str(node.modifier.type).lower()


def _unwrap(node: pp.Expr) -> pp.Expr:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def _is_scalar(node: pp.Expr) -> bool:
    node = _unwrap(node)
    if isinstance(node, pp.NumberLiteral):
        return True
    if isinstance(node, pp.UnaryExpr):
        return _is_scalar(node.expr)
    if isinstance(node, pp.Call):
        return node.func.name in SCALAR_FUNCTIONS
    if isinstance(node, pp.BinaryExpr):
        return _is_scalar(node.lhs) and _is_scalar(node.rhs)
    return False


def _is_counter_series(metric: Metric, series: str) -> bool:
    if metric.type == COUNTER:
        return True
    return metric.type in (HISTOGRAM, SUMMARY) and series.endswith(COUNTER_SUFFIXES)


def _selector_names(node: pp.Expr) -> set[str]:
    names: set[str] = set()

    def visit(n: object) -> None:
        if isinstance(n, pp.VectorSelector) and n.name:
            names.add(n.name)

    pp.walk(node, visit)
    return names


def analyse(
    expr: str, series: Mapping[str, tuple[Metric | None, Labels]], scrape_interval: float
) -> tuple[Labels, list[Finding]]:
    """The labels `expr` yields (None when not known statically) and what is wrong with it."""
    walk = _Walk(series, scrape_interval)
    labels = walk.infer(parse_promql(expr))
    return labels, walk.findings
