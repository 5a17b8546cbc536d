"""LogQL, checked by a parser of the subset the dashboards use (no Loki parser is packaged for
Python or Debian, and Loki's own is AGPL Go). A query outside the subset is refused, so a typo
never reaches Grafana as a panel that only shows "parse error".

The subset, as a grammar (docs/alerts-and-lint.md):

    query        := log_query | metric
    log_query    := selector stage*
    selector     := "{" matcher ("," matcher)* "}"
    matcher      := label ("=" | "!=" | "=~" | "!~") string
    stage        := ("|=" | "!=" | "|~" | "!~") string
                  | "|" ("json" | "logfmt" | "unpack")
                  | "|" ("pattern" | "regexp" | "line_format") string
                  | "|" label ("=" | "!=" | "=~" | "!~" | "==" | ">" | ">=" | "<" | "<=") (string | number)
    metric       := term (binary_op term)*
    term         := number | "(" metric ")" | range_agg | vector_agg
    range_agg    := range_fn "(" log_query "[" duration "]" ")"
    vector_agg   := agg_op [grouping] "(" [number ","] metric ")" [grouping]
    grouping     := ("by" | "without") "(" [label ("," label)*] ")"

with range_fn one of count_over_time, rate, bytes_over_time, bytes_rate, absent_over_time, and
agg_op one of sum, avg, min, max, count, stddev, stdvar, topk, bottomk, sort, sort_desc. Grafana's
variables are replaced before parsing (as for PromQL); strings are Go-quoted or back-quoted.
"""

from __future__ import annotations

import re

from monitoring_as_code.promql import check_size

RANGE_FUNCTIONS = frozenset({"count_over_time", "rate", "bytes_over_time", "bytes_rate", "absent_over_time"})
AGGREGATIONS = frozenset(
    {"sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "sort", "sort_desc"}
)
PARSERS = frozenset({"json", "logfmt", "unpack"})
PARSERS_WITH_ARGUMENT = frozenset({"pattern", "regexp", "line_format"})
MATCH_OPERATORS = frozenset({"=", "!=", "=~", "!~"})
LINE_FILTERS = frozenset({"|=", "!=", "|~", "!~"})
COMPARISONS = MATCH_OPERATORS | {"==", ">", ">=", "<", "<="}
BINARY_OPERATORS = frozenset({"+", "-", "*", "/", "%", "^", "==", "!=", ">", ">=", "<", "<="})
BINARY_KEYWORDS = frozenset({"and", "or", "unless"})

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|`[^`]*`)
      | (?P<duration>[0-9]+(?:ms|s|m|h|d|w)(?:[0-9]+(?:ms|s|m|h|d|w))*)
      | (?P<number>[0-9]+(?:\.[0-9]+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>\|=|\|~|!=|!~|=~|==|>=|<=|[|{}()\[\],=<>+\-*/%^])
    )""",
    re.VERBOSE,
)


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        while query[position:].strip():
            match = _TOKEN.match(query, position)
            if match is None or match.lastgroup is None:
                rest = query[position:]
                column = position + len(rest) - len(rest.lstrip()) + 1
                raise ValueError(f"LogQL does not parse at column {column}: unexpected {rest.strip()[:10]!r}")
            self.tokens.append((match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup) + 1))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str]:
        if self.index < len(self.tokens):
            kind, text, _ = self.tokens[self.index]
            return kind, text
        return "end", ""

    def fail(self, expected: str) -> ValueError:
        kind, text = self.peek()
        found = "the end" if kind == "end" else repr(text)
        column = self.tokens[self.index][2] if self.index < len(self.tokens) else "end"
        return ValueError(f"LogQL does not parse at column {column}: expected {expected}, found {found}")

    def take(self, kind: str, text: str | None = None, expected: str = "") -> str:
        found_kind, found_text = self.peek()
        if found_kind != kind or (text is not None and found_text != text):
            raise self.fail(expected or (repr(text) if text else kind))
        self.index += 1
        return found_text

    def accept(self, kind: str, texts: frozenset[str] | set[str]) -> str | None:
        found_kind, found_text = self.peek()
        if found_kind == kind and found_text in texts:
            self.index += 1
            return found_text
        return None

    def query(self) -> None:
        if self.peek() == ("op", "{"):
            self.log_query()
        else:
            self.metric()
        if self.peek()[0] != "end":
            raise self.fail("the end of the query")

    def log_query(self) -> None:
        self.take("op", "{", 'a stream selector {label="value"}')
        selects = False
        while True:
            self.take("name", expected="a label name")
            operator = self.accept("op", MATCH_OPERATORS)
            if not operator:
                raise self.fail("=, !=, =~ or !~")
            value = self.take("string", expected="a quoted value")
            # Loki refuses a selector without one positive matcher of a non-empty value.
            selects = selects or (operator in ("=", "=~") and len(value) > 2)
            if not self.accept("op", {","}):
                break
        self.take("op", "}", "} or ,")
        if not selects:
            raise ValueError('LogQL stream selector needs a matcher like label="value" (= or =~, not empty)')
        while True:
            if self.accept("op", LINE_FILTERS):
                self.take("string", expected="a quoted line filter")
            elif self.accept("op", {"|"}):
                self.stage()
            else:
                return

    def stage(self) -> None:
        if self.accept("name", PARSERS):
            return
        if self.accept("name", PARSERS_WITH_ARGUMENT):
            self.take("string", expected="a quoted argument")
            return
        self.take("name", expected="a parser (json, logfmt, ...) or a label filter")
        if not self.accept("op", COMPARISONS):
            raise self.fail("a comparison")
        kind, _ = self.peek()
        if kind not in ("string", "number", "duration"):
            raise self.fail("a quoted value or a number")
        self.index += 1

    def metric(self) -> None:
        self.term()
        while self.accept("op", BINARY_OPERATORS) or self.accept("name", BINARY_KEYWORDS):
            self.term()

    def term(self) -> None:
        kind, text = self.peek()
        if kind == "number":
            self.index += 1
        elif (kind, text) == ("op", "("):
            self.index += 1
            self.metric()
            self.take("op", ")", ")")
        elif kind == "name" and text in RANGE_FUNCTIONS:
            self.index += 1
            self.take("op", "(", "(")
            self.log_query()
            self.take("op", "[", "a range [duration]")
            self.take("duration", expected="a duration like 5m")
            self.take("op", "]", "]")
            self.take("op", ")", ")")
        elif kind == "name" and text in AGGREGATIONS:
            self.index += 1
            self.grouping()
            self.take("op", "(", "(")
            if self.peek()[0] == "number" and text in ("topk", "bottomk"):
                self.index += 1
                self.take("op", ",", ",")
            self.metric()
            self.take("op", ")", ")")
            self.grouping()
        else:
            raise self.fail(f"a number, (, or one of {', '.join(sorted(RANGE_FUNCTIONS | AGGREGATIONS))}")

    def grouping(self) -> None:
        if not self.accept("name", {"by", "without"}):
            return
        self.take("op", "(", "(")
        if self.peek() != ("op", ")"):
            self.take("name", expected="a label name")
            while self.accept("op", {","}):
                self.take("name", expected="a label name")
        self.take("op", ")", ")")


def parse_logql(query: str) -> None:
    """ValueError naming the column and what was expected when `query` is not in the subset."""
    check_size(query, "LogQL")
    _Parser(query).query()
