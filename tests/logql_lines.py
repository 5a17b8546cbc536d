"""Which log lines a LogQL log query of the project's subset keeps, for tests on sample lines (no
Loki runs here: it is AGPL Go, packaged for neither PyPI nor Debian). It reads the query with the
product's own tokenizer and applies what Loki applies, in order: the stream selector on the
stream's labels, line filters on the line, `json` (top-level fields; nested ones joined by `_`),
`regexp` (named groups), and label filters (regex matches are anchored, as Loki's are). Go's RE2
and Python's `re` read the patterns used here alike."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from monitoring_as_code.logql import _TOKEN, LINE_FILTERS, MATCH_OPERATORS, parse_logql


def _tokens(query: str) -> list[tuple[str, str]]:
    out, position = [], 0
    while query[position:].strip():
        match = _TOKEN.match(query, position)
        assert match is not None and match.lastgroup is not None, query[position:]
        out.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return out


def _string(token: str) -> str:
    return token[1:-1] if token.startswith("`") else json.loads(token)


def _matches(value: str, operator: str, wanted: str) -> bool:
    if operator in ("=", "=="):
        return value == wanted
    if operator == "!=":
        return value != wanted
    found = re.fullmatch(wanted, value) is not None
    return found if operator == "=~" else not found


def _flatten(data: object, prefix: str = "") -> dict[str, str]:
    if isinstance(data, dict):
        out: dict[str, str] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}_{key}" if prefix else str(key)))
        return out
    if isinstance(data, bool):
        return {prefix: "true" if data else "false"}
    return {prefix: "" if data is None else str(data)}


def keeps(query: str, stream: Mapping[str, str], line: str) -> bool:
    """Whether the log query keeps `line` of a stream with labels `stream`."""
    parse_logql(query)
    tokens = _tokens(query)
    labels = dict(stream)
    k = 1  # past "{"
    while tokens[k] != ("op", "}"):
        name, operator, value = tokens[k][1], tokens[k + 1][1], _string(tokens[k + 2][1])
        assert operator in MATCH_OPERATORS
        if not _matches(labels.get(name, ""), operator, value):
            return False
        k += 4 if tokens[k + 3] == ("op", ",") else 3
    k += 1
    while k < len(tokens):
        kind, text = tokens[k]
        if kind == "op" and text in LINE_FILTERS:
            pattern = _string(tokens[k + 1][1])
            found = pattern in line if text in ("|=", "!=") else re.search(pattern, line) is not None
            if found != (text in ("|=", "|~")):
                return False
            k += 2
            continue
        assert (kind, text) == ("op", "|"), tokens[k:]
        stage = tokens[k + 1][1]
        if stage == "json":
            try:
                labels.update(_flatten(json.loads(line)))
            except ValueError:
                labels["__error__"] = "JSONParserErr"
            k += 2
        elif stage == "regexp":
            match = re.search(_string(tokens[k + 2][1]), line)
            labels.update({n: v for n, v in (match.groupdict() if match else {}).items() if v is not None})
            k += 3
        else:
            operator, value = tokens[k + 2][1], _string(tokens[k + 3][1])
            if not _matches(labels.get(stage, ""), operator, value):
                return False
            k += 4
    return True


def with_variables(query: str, values: Mapping[str, str | tuple[str, ...]]) -> str:
    """The query as Grafana's Loki datasource sends it: a multi-value variable's chosen values as
    `(a|b)` (one value alone as itself), "All" as the variable's allValue (given as a string)."""
    for name, value in values.items():
        text = value if isinstance(value, str) else value[0] if len(value) == 1 else f"({'|'.join(value)})"
        query = query.replace(f"${name}", text)
    return query
