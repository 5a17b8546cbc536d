"""The logs dashboard's level filter and the "ratd Errors" panel read each service's real log format,
tested on sample lines shaped as RAT's source writes them: ratd's slog JSON (upper-case levels,
platform/cmd/ratd/main.go; request lines by platform/internal/api/logging.go), runner's JSON with
slog's level words lower-case (runner/src/rat_runner/json_log.py: compact json.dumps, keys time,
level, msg, logger), ratq's plain text (query/src/rat_query/__main__.py's logging.basicConfig
format, rendered here by the same stdlib formatter), and the third-party images."""

from __future__ import annotations

import json
import logging

import pytest

from dashboards._shared import LOG_FORMATS, RATD_ERROR_LOGS
from tests.conftest import RATD_0_2
from tests.logql_lines import keeps, with_variables
from tests.test_grafana import DASHBOARDS

ALL_SERVICES = "(ratd|ratq|runner|portal|postgres|minio|nessie)"


def _ratq(level: int, message: str) -> str:
    """A line as ratq's logging.basicConfig writes it."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    return formatter.format(logging.LogRecord("rat_query.server", level, __file__, 1, message, None, None))


def _runner(level: str, message: str) -> str:
    """A line as runner's JSONFormatter writes it (json.dumps with compact separators)."""
    payload = {"time": "2026-05-27T10:14:32.123Z", "level": level, "msg": message, "logger": "rat_runner.server"}
    return json.dumps({**payload, "run_id": "abc-123"}, separators=(",", ":"))


def _ratd(level: str, message: str, **attrs: object) -> str:
    """A line as Go's slog JSONHandler writes it: time, level, msg, then the attributes."""
    line = {"time": "2026-12-03T15:00:00.123456789Z", "level": level, "msg": message, **attrs}
    return json.dumps(line, separators=(",", ":"))


# (service, line, its level)
LINES = [
    ("ratd", _ratd("ERROR", "scheduler: failed to list schedules", error="conn refused"), "ERROR"),
    ("ratd", _ratd("WARN", "request completed", method="GET", path="/api/v1/x", status=404), "WARN"),
    ("ratd", _ratd("INFO", "no error: plugin reconciler started"), "INFO"),
    ("runner", _runner("error", "Pipeline failed"), "ERROR"),
    ("runner", _runner("warn", "retrying"), "WARN"),
    ("runner", _runner("info", "Submitting pipeline after an error elsewhere"), "INFO"),
    ("ratq", _ratq(logging.ERROR, "query failed"), "ERROR"),
    ("ratq", _ratq(logging.WARNING, "slow query"), "WARN"),
    ("ratq", _ratq(logging.INFO, "served ERROR-free"), "INFO"),
    ("postgres", '2026-12-03 15:00:00.123 UTC [42] ERROR:  relation "x" does not exist', "ERROR"),
    ("postgres", "2026-12-03 15:00:00.123 UTC [42] LOG:  checkpoint starting: time", None),
    ("nessie", "2026-12-03 15:00:00,123 ERROR [org.pro.nes.ser.err.NessieExceptionMapper] (executor-1) boom", "ERROR"),
    ("nessie", "2026-12-03 15:00:00,123 INFO  [io.quarkus] (main) nessie started", "INFO"),
    ("minio", "API: SYSTEM() ERROR Unable to write to the backend", "ERROR"),
]


def _logs_panel_keeps(service: str, line: str, level: str | tuple[str, ...]) -> bool:
    logs = DASHBOARDS[f"{RATD_0_2}/rat-logs"]
    panel = next(p for p in logs["panels"] if p["title"] == "Logs")
    values = {"service": ALL_SERVICES, "level": level}
    return any(keeps(with_variables(t["expr"], values), {"compose_service": service}, line) for t in panel["targets"])


@pytest.mark.parametrize(("service", "line", "level"), LINES, ids=[f"{s}-{lv}" for s, _, lv in LINES])
def test_each_level_keeps_exactly_its_lines(service: str, line: str, level: str | None) -> None:
    for chosen in ("ERROR", "WARN", "INFO"):
        assert _logs_panel_keeps(service, line, (chosen,)) == (chosen == level), (chosen, line)
    assert _logs_panel_keeps(service, line, ".*")  # "All" (its allValue): every line


def test_a_runner_error_line_is_counted_by_the_logs_dashboard() -> None:
    logs = DASHBOARDS[f"{RATD_0_2}/rat-logs"]
    volume = next(p for p in logs["panels"] if p["title"] == "Log Volume")
    line = _runner("error", "Pipeline failed")
    values = {"service": ALL_SERVICES, "level": ("ERROR", "WARN")}
    counted = [
        t["expr"]
        for t in volume["targets"]
        if keeps(
            with_variables(t["expr"].split("(count_over_time(", 1)[1].rsplit(" [", 1)[0], values),
            {"compose_service": "runner"},
            line,
        )
    ]
    assert len(counted) == 1 and 'compose_service=~"runner"' in counted[0]


def test_every_rat_service_has_one_format() -> None:
    services = [s for f in LOG_FORMATS for s in f.services]
    assert sorted(services) == sorted(ALL_SERVICES.strip("()").split("|"))


def test_ratd_errors_keeps_ratds_error_lines_only() -> None:
    assert keeps(RATD_ERROR_LOGS, {"compose_service": "ratd"}, LINES[0][1])
    assert not keeps(RATD_ERROR_LOGS, {"compose_service": "ratd"}, LINES[2][1])  # INFO, "error" in its message
    assert not keeps(RATD_ERROR_LOGS, {"compose_service": "runner"}, _runner("error", "ERROR"))
