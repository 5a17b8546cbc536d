"""loki-config.yml: Loki 3 as a single binary storing chunks and its TSDB index on the local
filesystem (the container's named volume), with the compactor deleting logs past the retention."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.duration import format_duration
from monitoring_as_code.logging_policy import Retention
from monitoring_as_code.outputs.compose.settings import LOKI_DATA_DIR, LOKI_HTTP_PORT

INDEX_PERIOD = "24h"  # compactor retention works on daily index tables
# The first and only schema period. Loki 3 turns structured metadata on by default, which needs the
# tsdb index and schema v13. Never move this date once Loki holds data: add a new period instead.
SCHEMA_START = "2024-04-01"


def render_loki_config(retention: Retention) -> dict[str, Any]:
    return {
        # One tenant: Loki is reachable only on the monitoring network and the host's loopback.
        "auth_enabled": False,
        "server": {"http_listen_port": LOKI_HTTP_PORT, "log_level": "info"},
        "common": {
            "instance_addr": "127.0.0.1",
            "path_prefix": LOKI_DATA_DIR,
            "storage": {
                "filesystem": {
                    "chunks_directory": f"{LOKI_DATA_DIR}/chunks",
                    "rules_directory": f"{LOKI_DATA_DIR}/rules",
                }
            },
            "replication_factor": 1,
            "ring": {"kvstore": {"store": "inmemory"}},
        },
        "schema_config": {
            "configs": [
                {
                    "from": SCHEMA_START,
                    "store": "tsdb",
                    "object_store": "filesystem",
                    "schema": "v13",
                    "index": {"prefix": "index_", "period": INDEX_PERIOD},
                }
            ]
        },
        "limits_config": {"retention_period": format_duration(retention.loki)},
        "compactor": {
            "working_directory": f"{LOKI_DATA_DIR}/compactor",
            "retention_enabled": True,
            # Loki 3 refuses retention without a store for delete requests.
            "delete_request_store": "filesystem",
        },
        "analytics": {"reporting_enabled": False},
    }
