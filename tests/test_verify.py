"""`mac verify` against expositions written in each guide's sample format: the guide's ratd and
ratd 0.2 (rat-monitoring-current.md), under both profiles."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import Result

from monitoring_as_code.catalog import MINIO, MINIO_NODE, NESSIE
from tests.conftest import GUIDE, RATD_0_2, MacRunner, profile_project
from tests.sim.platform import minio_exposition, minio_node_exposition, nessie_exposition

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


# ratd 0.2's "Key Metrics", in the format of the current guide's sample output (hand-rolled: HELP
# and TYPE lines, no client_golang extras).
RATD_0_2_EXPOSITION = """\
# HELP ratd_info Build information about ratd.
# TYPE ratd_info gauge
ratd_info{version="0.2.0",git_commit="a1b2c3d",go_version="go1.24.0"} 1
# HELP ratd_goroutines Number of goroutines.
# TYPE ratd_goroutines gauge
ratd_goroutines 42
# HELP ratd_memory_alloc_bytes Current heap allocation in bytes.
# TYPE ratd_memory_alloc_bytes gauge
ratd_memory_alloc_bytes 8.388608e+06
# HELP ratd_memory_sys_bytes Total memory obtained from the OS in bytes.
# TYPE ratd_memory_sys_bytes gauge
ratd_memory_sys_bytes 2.5165824e+07
# HELP ratd_gc_completed_total Completed GC cycles.
# TYPE ratd_gc_completed_total counter
ratd_gc_completed_total 17
# HELP ratd_sse_connections_active Active SSE connections (log streams).
# TYPE ratd_sse_connections_active gauge
ratd_sse_connections_active 2
# HELP ratd_postgres_pool_total Main Postgres pool size.
# TYPE ratd_postgres_pool_total gauge
ratd_postgres_pool_total 10
# HELP ratd_postgres_pool_acquired Currently-acquired connections from the main Postgres pool.
# TYPE ratd_postgres_pool_acquired gauge
ratd_postgres_pool_acquired 3
# HELP ratd_postgres_heartbeat_pool_total Dedicated heartbeat pool size.
# TYPE ratd_postgres_heartbeat_pool_total gauge
ratd_postgres_heartbeat_pool_total 2
# HELP ratd_postgres_heartbeat_pool_acquired In-use heartbeat connections.
# TYPE ratd_postgres_heartbeat_pool_acquired gauge
ratd_postgres_heartbeat_pool_acquired 1
# HELP ratd_plugins_total Registered plugins (any status).
# TYPE ratd_plugins_total gauge
ratd_plugins_total 3
# HELP ratd_plugins_healthy Currently enabled plugins.
# TYPE ratd_plugins_healthy gauge
ratd_plugins_healthy 3
# HELP ratd_scheduler_last_tick_duration_seconds Duration of the most recent scheduler tick.
# TYPE ratd_scheduler_last_tick_duration_seconds gauge
ratd_scheduler_last_tick_duration_seconds 0.012
# HELP ratd_scheduler_last_tick_dispatched_total Schedules dispatched in the most recent scheduler tick.
# TYPE ratd_scheduler_last_tick_dispatched_total gauge
ratd_scheduler_last_tick_dispatched_total 1
"""
# Emitted only while their subsystem is active (the current guide): a ratd without them is healthy.
CONDITIONAL = ("ratd_sse_", "ratd_postgres_", "ratd_plugins_", "ratd_scheduler_")


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "metrics.txt"
    path.write_text(text)
    return str(path)


def without(text: str, metric: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if metric not in line)


def verify(mac: MacRunner, tmp_path: Path, exposition: str, profile: str, *options: str) -> Result:
    return mac(
        profile_project(), "verify", "--profile", profile, "--metrics-file", write(tmp_path, exposition), *options
    )


@pytest.mark.parametrize(("exposition", "profile"), [(RATD_EXPOSITION, GUIDE), (RATD_0_2_EXPOSITION, RATD_0_2)])
def test_each_guides_metrics_satisfy_its_profile(tmp_path: Path, mac: MacRunner, exposition: str, profile: str) -> None:
    result = verify(mac, tmp_path, exposition, profile)
    assert result.exit_code == 0, result.output
    assert "(ratd): serves everything the monitoring reads" in result.output
    assert f"profile {profile}: nothing is blind" in result.output


@pytest.mark.parametrize(("exposition", "profile"), [(RATD_0_2_EXPOSITION, GUIDE), (RATD_EXPOSITION, RATD_0_2)])
def test_a_ratd_of_the_other_profile_is_blind(tmp_path: Path, mac: MacRunner, exposition: str, profile: str) -> None:
    """It shares no metric with the profile's catalog: everything reading ratd is blind."""
    result = verify(mac, tmp_path, exposition, profile)
    assert result.exit_code == 1, result.output
    assert "serves none of the source's metrics" in result.output
    blind = {line.split("(")[0].strip() for line in result.output.splitlines() if line.startswith("  blind: ")}
    expected = {GUIDE: "alert RatApiHighLatency", RATD_0_2: "alert RatMemoryGrowth"}[profile]
    assert f"blind: {expected}" in blind
    assert "blind: panel rat-overview/Container Memory" not in blind  # cAdvisor's, not ratd's


def test_inactive_subsystems_are_absent_not_blind(tmp_path: Path, mac: MacRunner) -> None:
    exposition = RATD_0_2_EXPOSITION
    for prefix in CONDITIONAL:
        exposition = without(exposition, prefix)
    result = verify(mac, tmp_path, exposition, RATD_0_2)
    assert result.exit_code == 0, result.output
    assert "absent: subsystem inactive: ratd_postgres_pool_acquired (read by alert RatPostgresPoolSaturated" in (
        result.output
    )
    assert "nothing is blind" in result.output


def test_a_missing_metric_names_what_it_blinds(tmp_path: Path, mac: MacRunner) -> None:
    result = verify(mac, tmp_path, without(RATD_EXPOSITION, "ratd_http_requests_total"), GUIDE)
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if "metric not exposed: ratd_http_requests_total;" in line]
    assert "alert RatRequestVolumeSpike" in line
    assert "recording rule job:ratd_http_requests:rate5m" in line
    assert "panel rat-overview/Request Rate" in line
    result = verify(mac, tmp_path, without(RATD_0_2_EXPOSITION, "ratd_goroutines"), RATD_0_2)
    assert result.exit_code == 1
    assert "blind: alert RatMemoryGrowth (metric not exposed)" in result.output
    assert "blind: panel rat-overview/Goroutines (metric not exposed)" in result.output


def test_a_missing_label_names_what_relies_on_it(tmp_path: Path, mac: MacRunner) -> None:
    exposition = RATD_EXPOSITION.replace('{status="completed"}', '{state="completed"}')
    exposition = exposition.replace('{status="failed"}', '{state="failed"}').replace('{status="cancelled"}', "")
    result = verify(mac, tmp_path, exposition, GUIDE)
    assert result.exit_code == 1
    assert "label not exposed: label 'status' of ratd_pipeline_runs_total; blinds alert RatPipelineFailures" in (
        result.output
    )


def test_sources_the_target_does_not_serve_are_not_blamed(tmp_path: Path, mac: MacRunner) -> None:
    result = verify(mac, tmp_path, RATD_EXPOSITION, GUIDE)
    assert "node_filesystem" not in result.output


NODE_EXPOSITION = """\
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1e+10
# TYPE node_filesystem_size_bytes gauge
node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 5e+10
# TYPE node_textfile_scrape_error gauge
node_textfile_scrape_error 0
# TYPE go_goroutines gauge
go_goroutines 8
"""


def test_the_source_is_told_by_the_prefix_or_stated(tmp_path: Path, mac: MacRunner) -> None:
    result = verify(mac, tmp_path, NODE_EXPOSITION, RATD_0_2)
    assert result.exit_code == 0, result.output
    assert "(node_exporter): serves everything the monitoring reads" in result.output
    unprefixed = "# TYPE goroutines gauge\ngoroutines 8\n"
    result = verify(mac, tmp_path, unprefixed, RATD_0_2)
    assert result.exit_code == 2
    assert "cannot tell which source this exposition comes from" in result.stderr
    assert "name it with --source" in result.stderr
    result = verify(mac, tmp_path, unprefixed, RATD_0_2, "--source", "ratd")
    assert result.exit_code == 1  # stated: a ratd that serves none of ratd's metrics
    assert "(ratd): " in result.output and "serves none of the source's metrics" in result.output
    result = verify(mac, tmp_path, unprefixed, RATD_0_2, "--source", "ratdd")
    assert result.exit_code == 2
    assert "unknown source 'ratdd'" in result.stderr


def test_mixed_prefixes_are_not_guessed(tmp_path: Path, mac: MacRunner) -> None:
    result = verify(mac, tmp_path, RATD_0_2_EXPOSITION + NODE_EXPOSITION, RATD_0_2)
    assert result.exit_code == 2
    assert "it has metrics of node_exporter, ratd" in result.stderr


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
        result = mac(profile_project(), "verify", "--profile", GUIDE, "--metrics-url", url)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert f"{url} (ratd): serves everything the monitoring reads" in result.output


def test_an_unreachable_url_is_a_clear_error(mac: MacRunner) -> None:
    result = mac(profile_project(), "verify", "--metrics-url", "http://127.0.0.1:9/metrics")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: http://127.0.0.1:9/metrics: cannot read the exposition")


@pytest.mark.parametrize("option", ["--metrics-url", "--prometheus-url"])
def test_a_url_option_takes_http_only(mac: MacRunner, option: str) -> None:
    """`file:///etc/passwd` is no URL of a target: it would be read as a local file by another name."""
    result = mac(profile_project(), "verify", option, "file:///etc/passwd")
    assert result.exit_code == 2
    assert "'file:///etc/passwd' is not an http:// or https:// URL" in result.output + result.stderr


def test_a_counter_without_total_is_read_by_its_exposed_name() -> None:
    """postgres_exporter exposes counters without `_total` (pg_stat_database_deadlocks); the
    parser calls their samples <name>_total, Prometheus stores them as exposed."""
    from monitoring_as_code.verify import exposed_series

    text = (
        "# TYPE pg_stat_database_deadlocks counter\n"
        'pg_stat_database_deadlocks{datname="rat"} 0\n'
        "# TYPE pg_exporter_scrapes_total counter\n"
        "pg_exporter_scrapes_total 3\n"
    )
    assert set(exposed_series(text, "exposition")) == {"pg_stat_database_deadlocks", "pg_exporter_scrapes_total"}


# The stand-ins of tests/sim/platform.py serve what the pinned MinIO and Nessie define: each
# satisfies everything reading its source (MinIO's 5xx counter, absent until a first failure, is
# conditional), and loses the alert reading a metric taken out.
@pytest.mark.parametrize(
    ("exposition", "source", "metric", "reader"),
    [
        (minio_exposition(60), MINIO, "minio_cluster_drive_offline_total", "alert RatMinioDriveOffline"),
        (nessie_exposition(60), NESSIE, "jvm_memory_max_bytes", "alert RatNessieHeapHigh"),
        (
            minio_node_exposition(60),
            MINIO_NODE,
            "minio_node_drive_free_bytes",
            "panel rat-minio-nessie/MinIO Drive Free",
        ),
    ],
)
def test_the_minio_and_nessie_stand_ins_feed_everything_reading_them(
    tmp_path: Path, mac: MacRunner, exposition: str, source: str, metric: str, reader: str
) -> None:
    result = verify(mac, tmp_path, exposition, RATD_0_2)
    assert result.exit_code == 0, result.output
    assert f"({source}): " in result.output and f"profile {RATD_0_2}: nothing is blind" in result.output
    result = verify(mac, tmp_path, without(exposition, metric), RATD_0_2)
    assert result.exit_code == 1, result.output
    assert f"blind: {reader}" in result.output
