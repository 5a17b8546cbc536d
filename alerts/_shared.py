"""Selectors and helpers the alert modules share (kubernetes-mixin's `config`, for names that are
ours rather than the site's; site-specific values live in monitoring.yaml)."""

from __future__ import annotations

from monitoring_as_code.duration import format_duration
from monitoring_as_code.settings import Settings

RATD_JOB = "ratd"
PROBE_JOB = "rat-probes"
CADVISOR_JOB = "cadvisor"
NODE_JOB = "node-exporter"
PROMETHEUS_JOB = "prometheus"
ALERTMANAGER_JOB = "alertmanager"

# The seven containers of RAT, as their compose service names.
RAT_SERVICES = ("ratd", "ratq", "runner", "portal", "postgres", "minio", "nessie")
# cAdvisor exports Docker labels; this one carries the compose service name.
COMPOSE_SERVICE_LABEL = "container_label_com_docker_compose_service"
# Real filesystems only: container overlays and memory-backed mounts never fill the disk.
FILESYSTEMS = 'fstype!~"tmpfs|overlay|squashfs|nsfs|devtmpfs|ramfs"'

# Alerts with this label mean nothing while ratd itself is down; RatApiDown inhibits them.
DEPENDS_ON_RATD = {"depends_on": "ratd"}

VALUE = "{{ $value | humanize }}"
PERCENT = "{{ $value | humanizePercentage }}"


def num(value: float) -> str:
    """A threshold as PromQL and people write it: 90, not 90.0."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def window(seconds: float) -> str:
    return format_duration(seconds)


def baseline_is_complete(selector: str, baseline: float, settings: Settings) -> str:
    """An `and` clause that holds only once `selector` has data a whole baseline ago. Until then
    (a new Prometheus, a new ratd) a rate over the baseline divides a short history by the full
    window and underestimates it, so every comparison with it would cry wolf."""
    return (
        f"and on (job) count by (job) "
        f"(present_over_time({selector}[{window(settings.windows.rate)}] offset {window(baseline)}))"
    )


def consecutive_failures_for(failures: int, settings: Settings) -> float:
    """`for:` that makes `probe_success == 0` fire on the N-th failed probe in a row and never
    sooner: the first failure makes the alert pending, each further probe adds one interval.
    An instant selector plus `for` means the same in Prometheus 2 and 3 (no range selector,
    whose left edge Prometheus 3 made open)."""
    return (failures - 1) * settings.intervals.scrape


def failures_text(failures: int) -> str:
    return "any failure" if failures == 1 else f"{failures}+ consecutive failures"
