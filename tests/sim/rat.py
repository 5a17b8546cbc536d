"""A simulated RAT for the end-to-end tests: ratd's health endpoints and metrics, Nessie's API, a
stand-in for cAdvisor's container metrics, MinIO's and Nessie's own metrics (platform.py), and
the backup job's textfile metric. Faults switch on
and off at run time. Everything listens on 127.0.0.1 only.

ratd comes in two versions, as the profiles know them: `guide` (rat-monitoring.md: request,
pipeline and scheduler metrics; /health lists subsystems) and `ratd-0.2`
(rat-monitoring-current.md: runtime, pool, plugin, scheduler and SSE gauges; /health/ready lists
each configured dependency under `checks`). Names, types and body shapes follow those documents;
the values are made up."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest

from alerts.profile_guide import REQUEST_BUCKETS
from tests.sim.platform import (
    MINIO_NODE_PATH,
    MINIO_PATH,
    NESSIE_PATH,
    exposition_handler,
    minio_exposition,
    minio_node_exposition,
    nessie_exposition,
)

GUIDE, RATD_0_2 = "guide", "ratd-0.2"
SUBSYSTEMS = ("postgres", "minio", "nessie", "runner", "ratq")
READY_CHECKS = ("postgres", "s3", "runner", "query")  # /health/ready's keys in ratd 0.2
LIVE = {"status": "ok", "version": "0.2.0", "git_commit": "a1b2c3d", "build_time": "2026-02-15T10:00:00Z"}
RAT_SERVICES = ("ratd", "ratq", "runner", "portal", "postgres", "minio", "nessie")
PATHS = ("/api/v1/pipelines", "/api/v1/runs", "/api/v1/namespaces")
MEMORY_LIMIT = 2 * 1024**3

disable_created_metrics()  # real ratd and cAdvisor expose no *_created series


@attrs.define
class Faults:
    """What is broken right now; the traffic thread and the handlers read it on every step."""

    ratd_down: bool = False
    minio_down: bool = False  # MinIO's process gone: its metrics endpoint answers nothing
    unhealthy: set[str] = attrs.field(factory=set)  # guide: subsystems; ratd-0.2: ready checks, or "nessie", "portal"
    slow_requests: bool = False
    failing_requests: bool = False  # every request answered 500
    failing_runs: int = 0  # failed runs still to record
    queue_full: bool = False
    memory_pressure: str | None = None  # the compose service near its limit
    oom_killed: str | None = None  # the compose service the kernel kills at its limit, once a step
    restarting: str | None = None  # the compose service in a restart loop: a new start time each second
    stale_backup: bool = False
    request_spike: bool = False
    scheduler_stalled: bool = False  # ratd-0.2: the tick gauges freeze at their last values, as ratd's do
    dispatch_stopped: bool = False  # ratd-0.2: the scheduler ticks but dispatches nothing
    # ratd 0.2 only
    pool_saturated: bool = False
    plugin_unhealthy: bool = False
    slow_ticks: bool = False
    memory_growth: bool = False
    sse_spike: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[_Server, threading.Thread]:
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` on a loopback port for the block: its base URL."""
    server, _ = _serve(handler)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class SimulatedRat:
    """ratd (of `profile`) + Nessie + cAdvisor + the backup job, driven by a traffic thread every
    `step` seconds."""

    def __init__(self, textfile_dir: Path, max_concurrent: int, profile: str = GUIDE, step: float = 0.2) -> None:
        self.profile = profile
        self.faults = Faults()
        self.max_concurrent = max_concurrent
        self.textfile_dir = textfile_dir
        self.step = step
        self._stop = threading.Event()
        self._random = random.Random(7)
        self.ratd_registry = CollectorRegistry()
        self.cadvisor_registry = CollectorRegistry()
        self._metrics()
        self.ratd, _ = _serve(self._ratd_handler())
        self.nessie, _ = _serve(self._nessie_handler())
        self.portal, _ = _serve(self._portal_handler())
        self.cadvisor, _ = _serve(self._exposition_handler(self.cadvisor_registry))
        self.minio_token = "".join(self._random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
        self.minio, _ = _serve(
            exposition_handler(
                {MINIO_PATH: minio_exposition, MINIO_NODE_PATH: minio_node_exposition},
                lambda: not self.faults.minio_down,
                self.minio_token,
            )
        )
        self.nessie_metrics, _ = _serve(exposition_handler({NESSIE_PATH: nessie_exposition}, lambda: True))
        self._traffic = threading.Thread(target=self._run, daemon=True)

    # -- addresses -------------------------------------------------------------------------
    @property
    def ratd_address(self) -> str:
        return f"127.0.0.1:{self.ratd.server_address[1]}"

    @property
    def nessie_address(self) -> str:
        return f"127.0.0.1:{self.nessie.server_address[1]}"

    @property
    def portal_address(self) -> str:
        return f"127.0.0.1:{self.portal.server_address[1]}"

    @property
    def cadvisor_address(self) -> str:
        return f"127.0.0.1:{self.cadvisor.server_address[1]}"

    @property
    def minio_address(self) -> str:
        return f"127.0.0.1:{self.minio.server_address[1]}"

    @property
    def nessie_metrics_address(self) -> str:
        return f"127.0.0.1:{self.nessie_metrics.server_address[1]}"

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._tick()
        self._traffic.start()

    def stop(self) -> None:
        self._stop.set()
        self._traffic.join(timeout=5)
        for server in (self.ratd, self.nessie, self.portal, self.cadvisor, self.minio, self.nessie_metrics):
            server.shutdown()
            server.server_close()

    @contextmanager
    def fault(self, **changes: object) -> Iterator[None]:
        """Switch faults on for the `with` block, then back to healthy."""
        for name, value in changes.items():
            setattr(self.faults, name, value)
        try:
            yield
        finally:
            self.faults = Faults()

    # -- metrics ----------------------------------------------------------------------------
    def _metrics(self) -> None:
        if self.profile == RATD_0_2:
            self._ratd_0_2_metrics()
        else:
            self._guide_metrics()
        labels = ["id", "name", "image", "container_label_com_docker_compose_service"]
        c = self.cadvisor_registry
        self.working_set = Gauge("container_memory_working_set_bytes", "Working set", labels, registry=c)
        self.memory_limit = Gauge("container_spec_memory_limit_bytes", "Memory limit", labels, registry=c)
        self.cpu = Counter("container_cpu_usage_seconds", "CPU time", [*labels, "cpu"], registry=c)
        self.oom_events = Counter("container_oom_events", "OOM events", labels, registry=c)
        self.start_time = Gauge("container_start_time_seconds", "Start time", labels, registry=c)
        self.started = time.time()

    def _guide_metrics(self) -> None:
        r = self.ratd_registry
        self.requests = Counter("ratd_http_requests", "Total HTTP requests", ["method", "path", "status"], registry=r)
        self.latency = Histogram(
            "ratd_http_request_duration_seconds",
            "Request latency",
            ["method", "path"],
            buckets=REQUEST_BUCKETS,  # the catalog's: the request-latency SLO counts one of them
            registry=r,
        )
        self.runs = Counter("ratd_pipeline_runs", "Pipeline runs by final status", ["status"], registry=r)
        self.active = Gauge("ratd_active_runs", "Currently executing pipelines", registry=r)
        self.ticks = Counter("ratd_scheduler_ticks", "Scheduler evaluation cycles", registry=r)
        self.triggered = Counter("ratd_scheduler_runs_triggered", "Runs triggered by the scheduler", registry=r)
        self.grpc = Counter("ratd_grpc_requests", "gRPC requests", ["service", "method", "code"], registry=r)
        self.grpc_latency = Histogram(
            "ratd_grpc_request_duration_seconds", "gRPC latency", ["service", "method"], registry=r
        )
        for status in ("completed", "failed", "cancelled"):
            self.runs.labels(status)

    def _ratd_0_2_metrics(self) -> None:
        """The current guide's "Key Metrics": gauges (and one counter) without client_golang's extras."""
        r = self.ratd_registry
        Gauge("ratd_info", "Build information about ratd.", ["version", "git_commit", "go_version"], registry=r).labels(
            "0.2.0", "a1b2c3d", "go1.24.0"
        ).set(1)
        self.goroutines = Gauge("ratd_goroutines", "Number of goroutines.", registry=r)
        self.heap = Gauge("ratd_memory_alloc_bytes", "Current heap allocation in bytes.", registry=r)
        self.memory_sys = Gauge("ratd_memory_sys_bytes", "Total memory obtained from the OS in bytes.", registry=r)
        self.gc_cycles = Counter("ratd_gc_completed", "Completed GC cycles.", registry=r)
        self.sse = Gauge("ratd_sse_connections_active", "Active SSE connections (log streams).", registry=r)
        self.pool_total = Gauge("ratd_postgres_pool_total", "Main Postgres pool size.", registry=r)
        self.pool_acquired = Gauge("ratd_postgres_pool_acquired", "Acquired main pool connections.", registry=r)
        # ratd pins the heartbeat pool at one connection, held only for a ping every 5 s.
        Gauge("ratd_postgres_heartbeat_pool_total", "Heartbeat pool size.", registry=r).set(1)
        Gauge("ratd_postgres_heartbeat_pool_acquired", "Acquired heartbeat connections.", registry=r).set(0)
        self.plugins_total = Gauge("ratd_plugins_total", "Registered plugins (any status).", registry=r)
        self.plugins_healthy = Gauge("ratd_plugins_healthy", "Currently enabled plugins.", registry=r)
        self.tick_duration = Gauge("ratd_scheduler_last_tick_duration_seconds", "Last tick's duration.", registry=r)
        self.dispatched = Gauge("ratd_scheduler_last_tick_dispatched_total", "Dispatched last tick.", registry=r)
        self._leak_since: float | None = None
        self._ticks = 0

    def _tick(self) -> None:
        if self.profile == RATD_0_2:
            self._tick_ratd_0_2()
        else:
            self._tick_guide()
        f = self.faults
        for service in RAT_SERVICES:
            labels = (f"/docker/{service}", f"infra-{service}-1", f"rat/{service}:test", service)
            used = 0.9 if f.memory_pressure == service else 0.3
            self.working_set.labels(*labels).set(used * MEMORY_LIMIT)
            self.memory_limit.labels(*labels).set(MEMORY_LIMIT)
            self.cpu.labels(*labels, "total").inc(self.step * 0.1)
            self.oom_events.labels(*labels).inc(1 if f.oom_killed == service else 0)
            self.start_time.labels(*labels).set(int(time.time()) if f.restarting == service else self.started)
        self._write_backup_metric(time.time() - (3 * 86400 if f.stale_backup else 60))

    def _tick_ratd_0_2(self) -> None:
        f, now = self.faults, time.monotonic()
        # The heap: a garbage-collection sawtooth over 2 s (flat at its floor for the first second,
        # so every scrape window sees the floor); a leak raises the floor 30% a second.
        if f.memory_growth and self._leak_since is None:
            self._leak_since = now
        elif not f.memory_growth:
            self._leak_since = None
        floor = 40e6 * (1.3 ** (now - self._leak_since) if self._leak_since is not None else 1.0)
        phase = (now % 2.0) / 2.0
        self.heap.set(floor * (1 + max(0.0, 2 * phase - 1)))
        self.memory_sys.set(3 * floor)
        self.goroutines.set(42)
        self.gc_cycles.inc()
        self.sse.set(200 if f.sse_spike else 2)
        # `_total` is the connections open now (pgxpool's TotalConns()): DB_MIN_CONNS (5) at rest,
        # up to the cap DB_MAX_CONNS (25) when saturated.
        self.pool_total.set(25 if f.pool_saturated else 5)
        self.pool_acquired.set(25 if f.pool_saturated else 5)
        self.plugins_total.set(3)
        self.plugins_healthy.set(2 if f.plugin_unhealthy else 3)
        # A stopped scheduler's gauges keep their last values; a ticking one's duration has
        # nanosecond resolution and changes at every tick.
        if not f.scheduler_stalled:
            self._ticks += 1
            self.tick_duration.set((60.0 if f.slow_ticks else 0.012) + (self._ticks % 1000) * 1e-9)
            self.dispatched.set(0 if f.dispatch_stopped else 2)

    def _tick_guide(self) -> None:
        f, rnd = self.faults, self._random
        for _ in range(400 if f.request_spike else 20):
            path = rnd.choice(PATHS)
            status = "500" if f.failing_requests or rnd.random() < 0.02 else "200"
            self.requests.labels("GET", path, status).inc()
            self.latency.labels("GET", path).observe(rnd.uniform(8, 12) if f.slow_requests else rnd.uniform(0.01, 0.3))
        self.ticks.inc()
        if not f.scheduler_stalled:
            self.triggered.inc()
        self.runs.labels("completed").inc()
        if f.failing_runs:
            self.runs.labels("failed").inc(f.failing_runs)
            f.failing_runs = 0
        self.active.set(self.max_concurrent if f.queue_full else 2)
        self.grpc.labels("runner", "Execute", "OK").inc()
        self.grpc_latency.labels("runner", "Execute").observe(rnd.uniform(0.01, 0.1))

    def _write_backup_metric(self, timestamp: float) -> None:
        # As the backup job does it: a temporary file renamed into place.
        target = self.textfile_dir / "rat_backup.prom"
        temporary = target.with_suffix(".tmp")
        temporary.write_text(f"rat_backup_last_success_timestamp_seconds {timestamp:.0f}\n")
        temporary.replace(target)

    def _run(self) -> None:
        while not self._stop.wait(self.step):
            self._tick()

    # -- HTTP -------------------------------------------------------------------------------
    @staticmethod
    def _exposition_handler(registry: CollectorRegistry) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = generate_latest(registry)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def _ratd_handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self
        metrics = self._exposition_handler(self.ratd_registry)

        class Handler(metrics):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:
                if sim.faults.ratd_down:
                    # A dead process: the connection closes without an answer.
                    self.close_connection = True
                    return
                if self.path == "/metrics":
                    super().do_GET()
                elif sim.profile == RATD_0_2:
                    self._ratd_0_2_health()
                elif self.path == "/health":
                    services = {s: "unhealthy" if s in sim.faults.unhealthy else "healthy" for s in SUBSYSTEMS}
                    critical = {"postgres", "minio"} & sim.faults.unhealthy
                    status = "unhealthy" if critical else "degraded" if sim.faults.unhealthy else "ok"
                    self._json(503 if critical else 200, {"status": status, "services": services})
                elif self.path == "/health/live":
                    self._json(200, {"status": "ok"})
                elif self.path == "/health/ready":
                    ready = not ({"postgres", "minio"} & sim.faults.unhealthy)
                    self._json(200 if ready else 503, {"status": "ok" if ready else "unavailable"})
                else:
                    self._json(404, {"error": "not found"})

            def _ratd_0_2_health(self) -> None:
                if self.path in ("/health", "/health/live"):
                    self._json(200, LIVE)
                elif self.path == "/health/ready":
                    checks = {
                        key: {"status": "error", "error": f"{key}: connection refused"}
                        if key in sim.faults.unhealthy
                        else {"status": "ok"}
                        for key in READY_CHECKS
                    }
                    failing = any(c["status"] == "error" for c in checks.values())
                    self._json(
                        503 if failing else 200, {"status": "not_ready" if failing else "ready", "checks": checks}
                    )
                else:
                    self._json(404, {"error": "not found"})

            def _json(self, code: int, body: object) -> None:
                send_json(self, code, body)

        return Handler

    def _nessie_handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if "nessie" in sim.faults.unhealthy:
                    send_json(self, 503, {"message": "unavailable"})
                elif self.path == "/api/v2/config":
                    send_json(
                        self, 200, {"defaultBranch": "main", "minSupportedApiVersion": 1, "maxSupportedApiVersion": 2}
                    )
                else:
                    send_json(self, 404, {"message": "not found"})

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def _portal_handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                # The portal's page, as its compose health check (wget /) reads it.
                ok = "portal" not in sim.faults.unhealthy and self.path == "/"
                body = b"<!DOCTYPE html><title>RAT</title>" if ok else b"unavailable"
                self.send_response(200 if ok else 503)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def send_json(handler: BaseHTTPRequestHandler, code: int, body: object, indent: int | None = None) -> None:
    """Answer with `body` as JSON (compact, or indented as `jq` and the guides print it)."""
    data = json.dumps(body, indent=indent).encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    handler.wfile.write(data)
