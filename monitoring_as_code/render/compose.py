"""docker-compose.monitoring.yml, layered on RAT's own compose file: it gives RAT's seven services
the logging policy and a health check where RAT has none, and defines the monitoring stack.

Long-syntax bind mounts on purpose: Compose then refuses a missing source instead of creating an
empty folder, so a generated/ in the wrong place fails `up` instead of starting empty services.
RAT's networks are referenced, never declared: a network name that RAT's file does not define
fails the merge instead of quietly creating an isolated network where every scrape times out."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.duration import format_duration
from monitoring_as_code.logging_policy import LOKI, LoggingPolicy
from monitoring_as_code.outputs.compose.settings import GENERATED_DIR, ComposeSettings
from monitoring_as_code.stack import BindMount, HealthCheck, MonitoringService, Stack

# Marks the services that read generated/. Its writer swaps the whole folder by rename and a bind
# mount keeps the folder it was started with, so `make up` restarts these after a regenerate.
READS_GENERATED_LABEL = "org.monitoring-as-code.reads-generated"
# Where the override mounts generated/ from; the compose validator reads it back.
GENERATED_DIR_KEY = "x-generated-dir"


def _healthcheck(check: HealthCheck) -> dict[str, Any]:
    return {
        "test": ["CMD-SHELL" if check.shell else "CMD", *check.command],
        "interval": format_duration(check.interval),
        "timeout": format_duration(check.timeout),
        "retries": check.retries,
        "start_period": format_duration(check.start_period),
    }


def _logging(policy: LoggingPolicy, service: str) -> dict[str, Any]:
    options = dict(policy.options)
    if policy.driver == LOKI:
        # The driver adds compose_service, compose_project, host and filename itself. Its `labels`
        # option lists container *label keys* to copy, so the guide's `labels: "service={{.Name}}"`
        # adds nothing; external labels are the templated ones, and setting them drops the default
        # container_name, so it is restated. `service` matches the alerts' label and is what Loki 3
        # derives service_name from.
        labels = ["container_name={{.Name}}", f"service={service}"]
        extra = options.pop("loki-external-labels", "")
        options["loki-external-labels"] = ",".join([*labels, *filter(None, [extra])])
    return {"driver": policy.driver, "options": options}


def _mount(mount: Any) -> dict[str, Any]:
    if isinstance(mount, BindMount):
        out: dict[str, Any] = {"type": "bind", "source": mount.source, "target": mount.target}
        out["read_only"] = mount.read_only
        if mount.propagation:
            out["bind"] = {"propagation": mount.propagation}
        return out
    return {"type": "volume", "source": mount.volume, "target": mount.target}


def _monitoring_service(service: MonitoringService, compose: ComposeSettings, policy: LoggingPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {"image": service.image}
    if service.command:
        out["command"] = list(service.command)
    out["restart"] = compose.restart
    out["networks"] = list(service.networks)
    if service.publish is not None:
        out["ports"] = [{"target": service.port, "published": str(service.publish), "host_ip": compose.publish_address}]
    out["volumes"] = [_mount(m) for m in service.mounts]
    if service.environment:
        out["environment"] = dict(service.environment)
    if service.secrets:
        out["secrets"] = list(service.secrets)
    if service.devices:
        out["devices"] = list(service.devices)
    if service.privileged:
        out["privileged"] = True
    if service.pid:
        out["pid"] = service.pid
    if service.reads_generated:
        out["labels"] = {READS_GENERATED_LABEL: "true"}
    out["healthcheck"] = _healthcheck(service.healthcheck)
    out["logging"] = _logging(policy, service.name)
    out["deploy"] = {"resources": {"limits": {"memory": service.memory, "cpus": f"{service.cpus:g}"}}}
    return out


def render_compose_override(stack: Stack, compose: ComposeSettings, policy: LoggingPolicy) -> dict[str, Any]:
    services: dict[str, Any] = {}
    for rat in stack.rat_services:
        services[rat.name] = {"logging": _logging(policy, rat.name)}
        if rat.healthcheck is not None:
            services[rat.name]["healthcheck"] = _healthcheck(rat.healthcheck)
    for service in stack.monitoring_services:
        services[service.name] = _monitoring_service(service, compose, policy)
    volumes = {v: {} for s in stack.monitoring_services for v in s.volumes}
    secrets = {name: {"file": path} for s in stack.monitoring_services for name, path in s.secrets.items()}
    return {
        GENERATED_DIR_KEY: GENERATED_DIR,
        "services": services,
        "networks": {compose.monitoring_network: {}},
        "volumes": volumes,
        "secrets": secrets,
    }
