"""The logging policy every container gets (the Docker logging driver and its options) and how
long the logs and metrics are kept: core settings, since the definitions of every output read
them (whether Loki panels exist, what the runbook says of log retention)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from monitoring_as_code.errors import DefinitionError

JSON_FILE = "json-file"
LOKI = "loki"
# The Loki docker driver takes `container_name={{.Name}}` as its default external labels and drops
# it as soon as the option is set; the override sets both per service, so settings may not.
LOKI_LABELS_SET_BY_OVERRIDE = ("container_name", "service")
# Stream labels the driver adds by itself, and the one Loki 3 derives from `service`.
LOKI_DRIVER_LABELS = ("compose_service", "compose_project", "host", "filename", "service_name")
DAY = 86400


@attrs.frozen
class LoggingPolicy:
    """The Docker logging driver and its log-opts (strings, as Docker takes them) for every service."""

    driver: str
    options: Mapping[str, str]

    @property
    def ships_to_loki(self) -> bool:
        """Whether container logs reach Loki: only the Loki driver sends them there."""
        return self.driver == LOKI


@attrs.frozen
class Retention:
    prometheus: float
    loki: float


def loki_stream_labels(policy: LoggingPolicy) -> frozenset[str]:
    """The labels a Loki stream selector can match on under this logging policy."""
    external = policy.options.get("loki-external-labels", "")
    extra = {pair.split("=", 1)[0].strip() for pair in external.split(",") if pair.strip()}
    return frozenset(LOKI_DRIVER_LABELS) | set(LOKI_LABELS_SET_BY_OVERRIDE) | extra


def _check_loki_options(options: Mapping[str, str]) -> None:
    where = "settings logging.loki"
    if "loki-pipeline-stage-file" in options and "loki-pipeline-stages" in options:
        raise DefinitionError(
            "loki-pipeline-stage-file and loki-pipeline-stages exclude each other (the driver refuses both)", obj=where
        )
    names = [pair.split("=", 1)[0] for pair in options.get("loki-external-labels", "").split(",") if pair]
    reserved = sorted(set(names) & set(LOKI_LABELS_SET_BY_OVERRIDE))
    if reserved:
        raise DefinitionError(
            f"loki-external-labels: {', '.join(reserved)} are set per service by the override", obj=where
        )


def logging_policy(logging: Mapping[str, Any]) -> LoggingPolicy:
    """The typed `logging` section (schema-checked)."""
    driver = logging["driver"]
    if LOKI in logging:
        _check_loki_options(logging[LOKI])
    return LoggingPolicy(driver=driver, options=dict(logging[driver]))  # strings, as the schema requires


def retention(data: Mapping[str, Any]) -> Retention:
    """The typed `retention` section (durations parsed)."""
    kept = Retention(**data)
    if kept.loki < DAY or kept.loki % DAY:
        # Loki's compactor deletes whole daily index tables.
        raise DefinitionError("must be a whole number of days", obj="settings retention.loki")
    return kept
