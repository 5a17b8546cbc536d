"""`mac verify` against expositions written in the guide's sample format."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import MacRunner, profile_project

# Every metric of the guide's "Key Metrics" table, in the format of its sample output.
RATD_EXPOSITION = """\
# HELP ratd_http_requests_total Total number of HTTP requests
# TYPE ratd_http_requests_total counter
ratd_http_requests_total{method="GET",path="/api/v1/pipelines",status="200"} 142
# HELP ratd_http_request_duration_seconds HTTP request duration in seconds
# TYPE ratd_http_request_duration_seconds histogram
ratd_http_request_duration_seconds_bucket{method="GET",path="/api/v1/pipelines",le="0.1"} 140
ratd_http_request_duration_seconds_bucket{method="GET",path="/api/v1/pipelines",le="0.5"} 142
ratd_http_request_duration_seconds_bucket{method="GET",path="/api/v1/pipelines",le="+Inf"} 142
ratd_http_request_duration_seconds_sum{method="GET",path="/api/v1/pipelines"} 9.3
ratd_http_request_duration_seconds_count{method="GET",path="/api/v1/pipelines"} 142
# HELP ratd_pipeline_runs_total Total pipeline runs by status
# TYPE ratd_pipeline_runs_total counter
ratd_pipeline_runs_total{status="completed"} 87
ratd_pipeline_runs_total{status="failed"} 3
ratd_pipeline_runs_total{status="cancelled"} 1
# HELP ratd_active_runs Current number of running pipelines
# TYPE ratd_active_runs gauge
ratd_active_runs 2
# HELP ratd_scheduler_ticks_total Scheduler evaluation cycles
# TYPE ratd_scheduler_ticks_total counter
ratd_scheduler_ticks_total 1200
# HELP ratd_scheduler_runs_triggered_total Runs triggered by the scheduler
# TYPE ratd_scheduler_runs_triggered_total counter
ratd_scheduler_runs_triggered_total 87
# HELP ratd_grpc_requests_total gRPC requests to runner/ratq
# TYPE ratd_grpc_requests_total counter
ratd_grpc_requests_total{service="runner",method="Execute",code="OK"} 90
# HELP ratd_grpc_request_duration_seconds gRPC call latency
# TYPE ratd_grpc_request_duration_seconds histogram
ratd_grpc_request_duration_seconds_bucket{service="runner",method="Execute",le="+Inf"} 90
ratd_grpc_request_duration_seconds_sum{service="runner",method="Execute"} 12.5
ratd_grpc_request_duration_seconds_count{service="runner",method="Execute"} 90
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "metrics.txt"
    path.write_text(text)
    return str(path)


def without(text: str, metric: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if metric not in line)


def test_the_guides_metrics_satisfy_every_alert(tmp_path: Path, mac: MacRunner) -> None:
    result = mac(profile_project(), "verify", "--metrics-file", write(tmp_path, RATD_EXPOSITION))
    assert result.exit_code == 0, result.output
    assert "exposes everything the monitoring reads" in result.output


def test_a_missing_metric_names_what_it_blinds(tmp_path: Path, mac: MacRunner) -> None:
    exposition = without(RATD_EXPOSITION, "ratd_http_requests_total")
    result = mac(profile_project(), "verify", "--metrics-file", write(tmp_path, exposition))
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if "missing ratd_http_requests_total;" in line]
    assert "alert RatRequestVolumeSpike" in line
    assert "recording rule job:ratd_http_requests:rate5m" in line
    assert "panel rat-overview/Request Rate" in line


def test_a_missing_label_names_what_relies_on_it(tmp_path: Path, mac: MacRunner) -> None:
    exposition = RATD_EXPOSITION.replace('{status="completed"}', '{state="completed"}')
    exposition = exposition.replace('{status="failed"}', '{state="failed"}').replace('{status="cancelled"}', "")
    result = mac(profile_project(), "verify", "--metrics-file", write(tmp_path, exposition))
    assert result.exit_code == 1
    assert "missing label 'status' of ratd_pipeline_runs_total; blinds alert RatPipelineFailures" in result.output


def test_sources_the_target_does_not_serve_are_not_blamed(tmp_path: Path, mac: MacRunner) -> None:
    result = mac(profile_project(), "verify", "--metrics-file", write(tmp_path, RATD_EXPOSITION))
    assert "node_filesystem" not in result.output


def test_a_file_that_is_no_exposition_is_a_clear_error(tmp_path: Path, mac: MacRunner) -> None:
    result = mac(profile_project(), "verify", "--metrics-file", write(tmp_path, "<html>not metrics</html>\n"))
    assert result.exit_code == 2
    assert "not a Prometheus exposition" in result.stderr


def test_a_live_metrics_url(mac: MacRunner) -> None:
    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = RATD_EXPOSITION.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        result = mac(profile_project(), "verify", "--metrics-url", url)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert f"{url}: exposes everything the monitoring reads" in result.output


def test_an_unreachable_url_is_a_clear_error(mac: MacRunner) -> None:
    result = mac(profile_project(), "verify", "--metrics-url", "http://127.0.0.1:9/metrics")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: http://127.0.0.1:9/metrics: cannot read the exposition")
