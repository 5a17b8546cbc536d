"""The typed model of the docker-compose override: RAT's seven services (the override adds a health
check only where RAT's compose file has none, and the logging policy) and the monitoring stack.
Each object checks itself on construction; `Stack` checks the whole against the settings (names
and ports Prometheus scrapes, secrets paths)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

import attrs

from monitoring_as_code.checked import Checked
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import seconds
from monitoring_as_code.outputs.compose.rat_compose import RAT_SERVICES
from monitoring_as_code.settings import Settings

# The monitoring stack the override adds.
STACK_SERVICES = (
    *("prometheus", "alertmanager", "grafana", "loki", "blackbox-exporter", "cadvisor", "node-exporter"),
    "postgres-exporter",
)
# Where Alertmanager reads the receivers' secret files (monitoring.yaml alertmanager.receivers).
ALERTMANAGER_SECRETS = "/etc/alertmanager/secrets"
_PINNED_IMAGE = re.compile(r"^[a-z0-9./_-]+:[A-Za-z0-9._-]+$")


@attrs.frozen
class HealthCheck(Checked):
    """A Docker health check, in exec form (`CMD`: no shell needed, several images have none), or
    with `shell` as one command line for the image's /bin/sh (`CMD-SHELL`), where the check must
    read the container's own environment."""

    command: tuple[str, ...] = attrs.field(converter=tuple)
    interval: str | float
    timeout: str | float
    retries: int
    start_period: str | float
    shell: bool = False
    kind = "health check"

    @property
    def name(self) -> str:
        return " ".join(self.command)

    def _check(self) -> None:
        if not self.command or not all(isinstance(part, str) and part for part in self.command):
            raise ValueError("command needs a program and its arguments, as non-empty strings")
        if self.shell and len(self.command) != 1:
            raise ValueError("a shell check is one command line")
        for field in ("interval", "timeout", "start_period"):
            self._set(field, seconds(getattr(self, field), field))
        if self.interval <= 0 or self.timeout <= 0:
            raise ValueError("interval and timeout must be positive")
        if self.timeout > self.interval:
            raise ValueError("timeout is longer than the interval")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 1:
            raise ValueError(f"retries {self.retries!r} is not a positive integer")


@attrs.frozen
class BindMount:
    """A host path (absolute, or relative to the folder of RAT's compose file) in the container."""

    source: str
    target: str
    read_only: bool = True
    propagation: str | None = None  # e.g. rslave for the host root seen by node-exporter
    generated: bool = False  # a file or folder of generated/


@attrs.frozen
class VolumeMount:
    """A named volume: the service's own data."""

    volume: str
    target: str


@attrs.frozen
class RatService(Checked):
    """One of RAT's containers; the override sets its logging policy, and its health check when
    there is one (None: RAT's own stays)."""

    name: str
    healthcheck: HealthCheck | None
    kind = "RAT service"

    def _check(self) -> None:
        if self.name not in RAT_SERVICES:
            raise ValueError(f"not one of RAT's services ({', '.join(RAT_SERVICES)})")


@attrs.frozen
class MonitoringService(Checked):
    """A service of the monitoring stack, complete: the override defines it."""

    name: str
    image: str
    port: int  # where it listens inside the container
    healthcheck: HealthCheck
    networks: tuple[str, ...] = attrs.field(converter=tuple)
    command: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    mounts: tuple[BindMount | VolumeMount, ...] = attrs.field(default=(), converter=tuple)
    publish: int | None = None  # host port, on the publish address only
    environment: Mapping[str, str] = attrs.field(factory=dict)
    secrets: Mapping[str, str] = attrs.field(factory=dict)  # secret name -> host file
    devices: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    privileged: bool = False
    pid: str | None = None
    memory: str = ""
    cpus: float = 0
    kind = "monitoring service"

    def _check(self) -> None:
        if self.name not in STACK_SERVICES:
            raise ValueError(f"not one of the monitoring stack's services ({', '.join(STACK_SERVICES)})")
        if not _PINNED_IMAGE.match(self.image) or self.image.endswith(":latest"):
            raise ValueError(f"image {self.image!r} is not pinned to a version tag")
        if not self.networks:
            raise ValueError("joins no network")
        targets = [m.target for m in self.mounts]
        for target in targets:
            if not PurePosixPath(target).is_absolute():
                raise ValueError(f"mount target {target!r} is not an absolute container path")
        if len(set(targets)) != len(targets):
            raise ValueError("two mounts share a container path")
        for key, value in self.environment.items():
            if "PASSWORD" in key and not key.endswith("__FILE"):
                # Secrets reach containers as files, never as values in the compose file.
                raise ValueError(f"environment {key} carries a password; use {key}__FILE and a secret")
            if not isinstance(value, str):
                raise ValueError(f"environment {key} must be a string")
        if not self.memory or self.cpus <= 0:
            raise ValueError("needs a memory and a CPU limit")

    @property
    def volumes(self) -> tuple[str, ...]:
        return tuple(m.volume for m in self.mounts if isinstance(m, VolumeMount))

    @property
    def reads_generated(self) -> bool:
        return any(isinstance(m, BindMount) and m.generated for m in self.mounts)


@attrs.frozen
class Stack:
    rat_services: tuple[RatService, ...]
    monitoring_services: tuple[MonitoringService, ...]

    @property
    def services(self) -> tuple[RatService | MonitoringService, ...]:
        return (*self.rat_services, *self.monitoring_services)


def _host_port(address: str) -> tuple[str, int]:
    host, port = address.rsplit(":", 1)
    return host, int(port)


def check_stack(stack: Stack, settings: Settings) -> None:
    """The whole against the settings: all seven RAT services and every monitoring service,
    Prometheus' scrape targets resolvable by service name and port, secrets where the receivers
    read them."""
    names = [s.name for s in stack.services]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DefinitionError("defined twice", obj=f"service {duplicates[0]}")
    missing = sorted(set(RAT_SERVICES + STACK_SERVICES) - set(names))
    if missing:
        raise DefinitionError(f"missing services: {', '.join(missing)}", obj="stack")

    by_name = {s.name: s for s in stack.monitoring_services}
    for field in attrs.fields(type(settings.targets)):
        host, port = _host_port(getattr(settings.targets, field.name))
        if host in ("localhost", "127.0.0.1"):
            continue  # Prometheus scraping itself
        if host in RAT_SERVICES:
            continue
        service = by_name.get(host)
        if service is None:
            raise DefinitionError(
                f"{host} is not a service of the override (Prometheus could not resolve it)",
                obj=f"settings targets.{field.name}",
                file=settings.source,
            )
        if service.port != port:
            raise DefinitionError(
                f"port {port} is not the one {host} listens on ({service.port})",
                obj=f"settings targets.{field.name}",
                file=settings.source,
            )

    for receiver in settings.alertmanager.receivers:
        for key, path in receiver.options.items():
            if key.endswith("_file") and PurePosixPath(path).parent != PurePosixPath(ALERTMANAGER_SECRETS):
                raise DefinitionError(
                    f"{path} is not in {ALERTMANAGER_SECRETS}, where compose.secrets.alertmanager_dir is mounted",
                    obj=f"settings alertmanager.receivers.{receiver.name}.{key}",
                    file=settings.source,
                )
