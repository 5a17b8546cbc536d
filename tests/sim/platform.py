"""Stand-ins for MinIO and Nessie. No MinIO or Nessie binary runs here, so each serves exactly the
series the catalog lists for its source, which were taken from the pinned releases' own metric
definitions (docs/minio.md, docs/nessie.md), in the text shape each writes:

- MinIO RELEASE.2024-06-13T22-53-53Z, /minio/v2/metrics/cluster and /minio/v2/metrics/node
  (one drive's bytes, per `drive` path): client_golang's text format,
  every series with `server` (the node's host:port), the S3 counters per `api` (lower-cased
  handler names), answered only with the bearer token (`mc admin prometheus generate`'s JWT)
  and refused (403) without it, as with MINIO_PROMETHEUS_AUTH_TYPE unset;
- Nessie 0.99, /q/metrics on the management port: Micrometer's Prometheus registry, the
  http.server.requests timer as a summary without quantiles (plus its `_max` gauge), the JVM
  memory binder per pool, -1 as the maximum of a pool without one (G1's eden and survivor).

Values are those of a healthy, lightly used service; counters grow with time. A healthy MinIO
has failed no request: its 5xx counter, a family only once some API failed, is not written (the
catalog marks it conditional)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler

MINIO_PATH = "/minio/v2/metrics/cluster"
MINIO_NODE_PATH = "/minio/v2/metrics/node"
MINIO_DRIVE = "/data"  # RAT's compose MinIO serves one drive, its minio_data volume
NESSIE_PATH = "/q/metrics"
MINIO_SERVER = "minio:9000"
GIB = 1 << 30


def _family(name: str, kind: str, help_: str, samples: list[tuple[str, str, float]]) -> list[str]:
    """One metric family: HELP, TYPE and `(series name, labels, value)` samples."""
    lines = [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]
    lines += [f"{series}{{{labels}}} {value!r}" for series, labels, value in samples]
    return lines


def minio_exposition(elapsed: float) -> str:
    server = f'server="{MINIO_SERVER}"'
    gauges = (
        ("minio_cluster_nodes_online_total", "Total number of MinIO nodes online", 1.0),
        ("minio_cluster_nodes_offline_total", "Total number of MinIO nodes offline", 0.0),
        ("minio_cluster_drive_online_total", "Total drives online in this cluster", 1.0),
        ("minio_cluster_drive_offline_total", "Total drives offline in this cluster", 0.0),
        ("minio_cluster_capacity_usable_total_bytes", "Total usable capacity online in the cluster", 100.0 * GIB),
        ("minio_cluster_capacity_usable_free_bytes", "Total free usable capacity online in the cluster", 60.0 * GIB),
    )
    lines: list[str] = []
    for name, help_, value in gauges:
        lines += _family(name, "gauge", help_, [(name, server, value)])
    # No request failed yet: the 5xx counter has no API, so MinIO writes no such family.
    requests = [(api, 10 * elapsed * share) for api, share in (("getobject", 0.6), ("putobject", 0.4))]
    name = "minio_s3_requests_total"
    lines += _family(
        name, "counter", "Total number of S3 requests", [(name, f'api="{api}",{server}', n) for api, n in requests]
    )
    return "\n".join(lines) + "\n"


def minio_node_exposition(elapsed: float) -> str:
    """The node endpoint's per-drive bytes for MinIO's one drive (catalog source minio-node)."""
    labels = f'drive="{MINIO_DRIVE}",server="{MINIO_SERVER}"'
    lines: list[str] = []
    for name, help_, value in (
        ("minio_node_drive_free_bytes", "Total storage available on a drive", 60.0 * GIB),
        ("minio_node_drive_total_bytes", "Total storage on a drive", 100.0 * GIB),
    ):
        lines += _family(name, "gauge", help_, [(name, labels, value)])
    return "\n".join(lines) + "\n"


def nessie_exposition(elapsed: float) -> str:
    uri = 'method="GET",outcome="SUCCESS",status="200",uri="/api/v2/trees/{ref}"'
    count = 5 * elapsed
    lines = _family(
        "http_server_requests_seconds",
        "summary",
        "",
        [
            ("http_server_requests_seconds_count", uri, count),
            ("http_server_requests_seconds_sum", uri, 0.004 * count),
        ],
    )
    lines += _family(
        "http_server_requests_seconds_max", "gauge", "", [("http_server_requests_seconds_max", uri, 0.012)]
    )
    pools = (
        ("heap", "G1 Eden Space", 40e6, -1.0),
        ("heap", "G1 Old Gen", 60e6, 256e6),
        ("heap", "G1 Survivor Space", 2e6, -1.0),
        ("nonheap", "Metaspace", 70e6, -1.0),
    )
    for name, help_, column in (
        ("jvm_memory_used_bytes", "The amount of used memory", 2),
        ("jvm_memory_max_bytes", "The maximum amount of memory in bytes that can be used for memory management", 3),
    ):
        samples = [(name, f'area="{pool[0]}",id="{pool[1]}"', float(pool[column])) for pool in pools]
        lines += _family(name, "gauge", help_, samples)
    return "\n".join(lines) + "\n"


def exposition_handler(
    paths: Mapping[str, Callable[[float], str]], answering: Callable[[], bool], token: str | None = None
) -> type[BaseHTTPRequestHandler]:
    """Serves each path's `body(seconds since start)` while `answering()`; with a `token`, only to
    a request bearing it (MinIO's cluster and node endpoints take the same one)."""
    started = time.monotonic()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not answering():
                self.close_connection = True  # a stopped container: no answer at all
                return
            if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
                self._answer(403, "text/plain", "Access Denied.\n")
            elif self.path not in paths:
                self._answer(404, "text/plain", "not found\n")
            else:
                body = paths[self.path](time.monotonic() - started)
                self._answer(200, "text/plain; version=0.0.4; charset=utf-8", body)

        def _answer(self, code: int, content_type: str, text: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *args: object) -> None:
            pass

    return Handler
