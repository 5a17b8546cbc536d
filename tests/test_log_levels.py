"""The logs dashboard's level filter and the "ratd Errors" panel read each service's real log format,
tested on sample lines shaped as RAT's source writes them: ratd's slog JSON (upper-case levels,
platform/cmd/ratd/main.go; request lines by platform/internal/api/logging.go), runner's JSON with
slog's level words lower-case (runner/src/rat_runner/json_log.py: compact json.dumps, keys time,
level, msg, logger), ratq's plain text (query/src/rat_query/__main__.py's logging.basicConfig
format, rendered here by the same stdlib formatter), and the third-party images."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlsplit

import pytest
import yaml

from dashboards._shared import LOG_FORMATS, RATD_UNLOGGED_PATHS, ratd_error_logs
from monitoring_as_code.duration import parse_duration
from monitoring_as_code.settings import Settings
from tests.conftest import RATD_0_2, REPO, profile_project
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


def test_ratd_errors_keeps_ratds_error_lines_only(settings: Settings) -> None:
    errors = ratd_error_logs(settings)
    assert keeps(errors, {"compose_service": "ratd"}, LINES[0][1])
    assert not keeps(errors, {"compose_service": "ratd"}, LINES[2][1])  # INFO, "error" in its message
    assert not keeps(errors, {"compose_service": "runner"}, _runner("error", "ERROR"))


# -- our own requests to ratd, as its RequestLogger logs them -------------------------------------
PROMETHEUS_CONFIG = yaml.safe_load((profile_project() / "generated/prometheus/prometheus.yml").read_text())
LOGGING_DOC = REPO / "docs" / "logging.md"


def _request(path: str, status: int, method: str = "GET") -> str:
    """A line as ratd's RequestLogger writes it (platform/internal/api/logging.go): "request
    completed" with method, path, status, duration, sizes and the request id; 5xx at ERROR, 4xx
    at WARN, else INFO."""
    level = "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"
    return _ratd(
        level,
        "request completed",
        method=method,
        path=path,
        status=status,
        duration="1.234567ms",
        request_size=0,
        response_size=97,
        request_id="c0ffee00-1234-4a5b-8c9d-0123456789ab",
    )


def _our_requests(settings: Settings) -> list[tuple[str, float]]:
    """(path, requests a minute) of every request the generated Prometheus makes to ratd, its
    public or its internal listener: the probes' targets and the scrape of ratd's metrics."""
    ratd = {settings.targets.ratd, settings.targets.ratd_internal}
    requests = []
    for job in PROMETHEUS_CONFIG["scrape_configs"]:
        per_minute = 60 / parse_duration(job["scrape_interval"])
        for static in job["static_configs"]:
            for target in static["targets"]:
                url = urlsplit(target) if job["metrics_path"] == "/probe" else urlsplit(f"//{target}")
                path = url.path if job["metrics_path"] == "/probe" else job["metrics_path"]
                if url.netloc in ratd:
                    requests.append((path, per_minute))
    return requests


def _documented_lines_a_minute() -> int:
    found = re.search(r"(\d+) request lines a minute", LOGGING_DOC.read_text())
    assert found, f"{LOGGING_DOC} states how many request lines our requests add to ratd's log a minute"
    return int(found.group(1))


def _panel(dashboard: str, title: str) -> dict:
    return next(p for p in DASHBOARDS[f"{RATD_0_2}/{dashboard}"]["panels"] if p["title"] == title)


def _error_panels_keep(line: str) -> list[str]:
    """The error panels that show `line` of ratd: "ratd Errors", and the logs dashboard's lines and
    volume at level ERROR."""
    ratd = {"compose_service": "ratd"}
    shown = ["ratd Errors"] if keeps(_panel("rat-overview", "ratd Errors")["targets"][0]["expr"], ratd, line) else []
    values = {"service": ALL_SERVICES, "level": ("ERROR",)}
    for title in ("Logs", "Log Volume"):
        for target in _panel("rat-logs", title)["targets"]:
            expr = target["expr"]
            if title == "Log Volume":
                expr = expr.split("(count_over_time(", 1)[1].rsplit(" [", 1)[0]
            if keeps(with_variables(expr, values), ratd, line):
                shown.append(title)
    return shown


def test_a_healthy_rat_logs_at_most_the_documented_request_lines_of_ours_a_minute(settings: Settings) -> None:
    logged = [(path, n) for path, n in _our_requests(settings) if path not in RATD_UNLOGGED_PATHS]
    assert sum(n for _, n in logged) <= _documented_lines_a_minute(), logged
    # The probes of /health/live (public and internal listener) cost no line: ratd skips them.
    assert {path for path, _ in _our_requests(settings)} - {path for path, _ in logged} == {settings.health.live_path}
    # ... and the lines ours do cost stay out of the logs dashboard, whatever the level.
    everything = {"service": ALL_SERVICES, "level": ".*"}
    for path, _ in logged:
        line = _request(path, 200)
        panel = _panel("rat-logs", "Logs")
        assert not any(
            keeps(with_variables(t["expr"], everything), {"compose_service": "ratd"}, line) for t in panel["targets"]
        ), line


def test_during_a_dependency_outage_no_error_line_of_ours_reaches_an_error_panel(settings: Settings) -> None:
    # /health/ready answers 503 while any check fails: ratd logs each of our GETs of it at ERROR.
    ours = [_request(path, 503 if path == settings.health.ready_path else 200) for path, _ in _our_requests(settings)]
    assert any('"level":"ERROR"' in line for line in ours)
    for line in ours:
        assert _error_panels_keep(line) == [], line


@pytest.mark.parametrize(
    "line",
    [
        _request("/api/v1/runs", 500),
        _request("/api/v1/health/ready", 503),  # another path ending like ours
        _request("/health/ready/x", 503),
        _ratd("ERROR", "readiness check failed", check="postgres", error="dial tcp: connection refused"),
    ],
    ids=["api-500", "other-path-ending-alike", "longer-path", "no-request-line"],
)
def test_ratds_real_errors_still_reach_every_error_panel(line: str) -> None:
    assert _error_panels_keep(line) == ["ratd Errors", "Logs", "Log Volume"]
