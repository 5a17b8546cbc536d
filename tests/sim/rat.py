"""A simulated RAT for the end-to-end tests: ratd's health endpoints and metrics, a stand-in for
cAdvisor's container metrics, and the backup job's textfile metric. Faults switch on and off at
run time. Everything listens on 127.0.0.1 only."""

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

SUBSYSTEMS = ("postgres", "minio", "nessie", "runner", "ratq")
RAT_SERVICES = ("ratd", "ratq", "runner", "portal", "postgres", "minio", "nessie")
PATHS = ("/api/v1/pipelines", "/api/v1/runs", "/api/v1/namespaces")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
MEMORY_LIMIT = 2 * 1024**3

disable_created_metrics()  # real ratd and cAdvisor expose no *_created series


@attrs.define
class Faults:
    """What is broken right now; the traffic thread and the handlers read it on every step."""

    ratd_down: bool = False
    unhealthy: set[str] = attrs.field(factory=set)
    slow_requests: bool = False
    failing_runs: int = 0  # failed runs still to record
    queue_full: bool = False
    memory_pressure: str | None = None  # the compose service near its limit
    stale_backup: bool = False
    request_spike: bool = False
    scheduler_stalled: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[_Server, threading.Thread]:
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


class SimulatedRat:
    """ratd + cAdvisor + the backup job, driven by a traffic thread every `step` seconds."""

    def __init__(self, textfile_dir: Path, max_concurrent: int, step: float = 0.2) -> None:
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
        self.cadvisor, _ = _serve(self._exposition_handler(self.cadvisor_registry))
        self._traffic = threading.Thread(target=self._run, daemon=True)

    # -- addresses -------------------------------------------------------------------------
    @property
    def ratd_address(self) -> str:
        return f"127.0.0.1:{self.ratd.server_address[1]}"

    @property
    def cadvisor_address(self) -> str:
        return f"127.0.0.1:{self.cadvisor.server_address[1]}"

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._tick()
        self._traffic.start()

    def stop(self) -> None:
        self._stop.set()
        self._traffic.join(timeout=5)
        for server in (self.ratd, self.cadvisor):
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
        r = self.ratd_registry
        self.requests = Counter("ratd_http_requests", "Total HTTP requests", ["method", "path", "status"], registry=r)
        self.latency = Histogram(
            "ratd_http_request_duration_seconds",
            "Request latency",
            ["method", "path"],
            buckets=LATENCY_BUCKETS,
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
        labels = ["id", "name", "image", "container_label_com_docker_compose_service"]
        c = self.cadvisor_registry
        self.working_set = Gauge("container_memory_working_set_bytes", "Working set", labels, registry=c)
        self.memory_limit = Gauge("container_spec_memory_limit_bytes", "Memory limit", labels, registry=c)
        self.cpu = Counter("container_cpu_usage_seconds", "CPU time", [*labels, "cpu"], registry=c)

    def _tick(self) -> None:
        f, rnd = self.faults, self._random
        for _ in range(400 if f.request_spike else 20):
            path = rnd.choice(PATHS)
            status = "500" if rnd.random() < 0.02 else "200"
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
        for service in RAT_SERVICES:
            labels = (f"/docker/{service}", f"infra-{service}-1", f"rat/{service}:test", service)
            used = 0.9 if f.memory_pressure == service else 0.3
            self.working_set.labels(*labels).set(used * MEMORY_LIMIT)
            self.memory_limit.labels(*labels).set(MEMORY_LIMIT)
            self.cpu.labels(*labels, "total").inc(self.step * 0.1)
        self._write_backup_metric(time.time() - (3 * 86400 if f.stale_backup else 60))

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

            def _json(self, code: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data)

        return Handler
