"""PromQL and LogQL: nesting is bounded before parsing (no RecursionError, no crash), and LogQL
is checked by the parser of the documented subset (monitoring_as_code/logql.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from monitoring_as_code.logql import parse_logql
from monitoring_as_code.promql import MAX_NESTING, label_usage, nesting, parse_promql


@pytest.mark.parametrize(
    "expr",
    ["(" * 1000 + "up" + ")" * 1000, "(" * 50_000 + "up" + ")" * 50_000, " + ".join(["up"] * 5000)],
    ids=["1000 parentheses", "50000 parentheses", "5000 operators"],
)
def test_deep_promql_is_refused_before_parsing(expr: str) -> None:
    with pytest.raises(
        ValueError,
        match=r"PromQL expression (nests \d+ levels \(brackets plus operators\)|is \d+ characters), more than",
    ):
        parse_promql(expr)


def test_the_deepest_expression_allowed_parses_and_is_walked() -> None:
    # In a fresh process: a crash of the parser must fail this test, not end the test run.
    depth = MAX_NESTING // 2
    expr = "(" * depth + " + ".join(["up"] * depth) + ")" * depth
    assert nesting(expr) == MAX_NESTING - 1
    script = f"from monitoring_as_code.promql import label_usage; print(label_usage({expr!r}))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert label_usage("sum by (job) (up)") == {"up": {"job"}}


def test_nesting_skips_strings_and_counts_operators() -> None:
    assert nesting('up{job="((((-+"}') == 1
    assert nesting("a + b * c") == 2
    assert nesting("sum(rate(x[5m])) > 1 and y") == 5


VALID_LOGQL = [
    '{compose_service="ratd"}',
    '{compose_service=~"ratd|runner", host!="x"} |= "ERROR" != "debug" |~ "t.*" !~ `^x`',
    '{compose_service="ratd"} |= "ERROR" | json | level="ERROR"',
    '{a="b"} | logfmt | duration >= 5s | status == 500',
    '{a="b"} | pattern "<ip> <_>" | line_format "{{.ip}}"',
    'sum by (compose_service) (count_over_time({compose_service=~".+"} |~ "x" [5m]))',
    'topk(5, sum without (host) (rate({a="b"}[1m]))) > 2',
    '(sum(bytes_rate({a="b"}[1h])) / 1024) or absent_over_time({a="b"}[10m])',
]


@pytest.mark.parametrize("query", VALID_LOGQL)
def test_logql_of_the_subset_parses(query: str) -> None:
    parse_logql(query)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{a="b"} |= ERROR', "column 12: expected a quoted line filter, found 'ERROR'"),
        ('{a="b"', "expected } or ,, found the end"),
        ("{}", "column 2: expected a label name, found '}'"),
        ('{a!="b"}', 'stream selector needs a matcher like label="value"'),
        ('{a=""}', 'stream selector needs a matcher like label="value"'),
        ('count_over_time({a="b"})', "expected a range [duration], found ')'"),
        ('count_over_time({a="b"}[5x])', "expected a duration like 5m, found '5'"),
        ('{a="b"} | json | level', "expected a comparison, found the end"),
        ('sum(rate({a="b"}[5m])) +', "expected a number, (, or one of"),
        ('rate({a="b"}[5m]) {a="b"}', "expected the end of the query"),
        ('{a="b"} # comment', "column 9: unexpected '# comment'"),
        ("(" * 1000 + "1" + ")" * 1000, "LogQL expression nests 1000 levels"),
    ],
)
def test_logql_outside_the_subset_is_refused(query: str, message: str) -> None:
    with pytest.raises(ValueError, match="LogQL") as caught:
        parse_logql(query)
    assert message in str(caught.value)
