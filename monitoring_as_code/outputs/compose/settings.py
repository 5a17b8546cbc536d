"""The compose output's section of monitoring.yaml: what the docker-compose override needs from the
site (images, ports, paths, networks, health timings). Checked by its schema fragment beside this
file, then typed here. What RAT's own compose project declares is not settings: the output reads it
when it loads (rat_compose.py), from RAT's file or from the committed record of it.

Paths: every relative path is relative to the project folder (the one holding generated/ and
monitoring.yaml). The override names them under ${MAC_PROJECT_DIR}, which `make up` sets to that
folder, so the committed override is the same whatever the folder is called on each machine."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.logging_policy import LOKI
from monitoring_as_code.outputs.compose.rat_compose import RAT_SERVICES, RatCompose
from monitoring_as_code.settings import Section, Settings

LOKI_HTTP_PORT = 3100  # Loki's default; `loki -health` (the container's health check) asks localhost:3100/ready
LOKI_DATA_DIR = "/loki"  # the image's data folder, owned by its non-root user; the named volume mounts here
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# Set by `make up` (and `mac preflight`'s command) to the project folder; Compose refuses to start
# with this message when it is unset, instead of mounting paths from the filesystem's root.
PROJECT_DIR_VARIABLE = "MAC_PROJECT_DIR"
PROJECT_DIR = f"${{{PROJECT_DIR_VARIABLE}:?set by make up}}"
GENERATED = "generated"
GENERATED_DIR = f"{PROJECT_DIR}/{GENERATED}"  # generated/ as the override mounts it
# The oldest image version of a service that still sees what the monitoring reads, and why.
MINIMUM_VERSIONS = {
    "cadvisor": (
        (0, 54, 0),
        "cAdvisor before v0.54.0 creates no Docker container handler under Docker 29's containerd image store",
    ),
}
# Host folders no container of ours may mount as its secrets or textfile folder: the root and the
# system's own trees. (The exporters' documented read-only mounts of /, /sys, ... are
# compose.host_paths' root, sys, var_run, docker_data and disks, and are not checked here.)
SYSTEM_DIRS = frozenset(
    {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys"}
    | {"/tmp", "/usr", "/var", "/var/lib", "/var/run", "/var/log"}
)


@attrs.frozen
class HealthTiming:
    interval: float
    timeout: float
    retries: int
    start_period: float


@attrs.frozen
class RatHealthTiming(HealthTiming):
    """The guide's timings for one of RAT's services; used where RAT's compose file has no check
    for it, or where `replace` says ours must win over RAT's own."""

    replace: bool = False


Timing = TypeVar("Timing", bound=HealthTiming)


@attrs.frozen
class ServiceSettings:
    """One monitoring service: its pinned image, limits, and the host port it is published on (if any)."""

    image: str
    memory: str
    cpus: float
    publish: int | None = None


@attrs.frozen
class HostPaths:
    """Host paths the exporters read, as the Docker host has them."""

    root: str
    sys: str
    var_run: str
    docker_data: str
    disks: str
    textfile_dir: str


@attrs.frozen
class RatSettings:
    """What the settings say about RAT's compose project and containers."""

    file: str | None  # RAT's compose file (relative: to the project folder); None: RAT as documented
    networks: tuple[str, ...] | None  # the RAT networks to join; None: the fewest reaching ratd and nessie
    ratq_grpc_port: int
    runner_grpc_port: int
    portal_port: int
    nessie_management_port: int
    postgres_user: str
    postgres_database: str  # the database postgres-exporter connects to (RAT's DATABASE_URL names it)
    postgres_monitor_user: str  # the read-only role postgres-exporter logs in as (docs/postgres.md)
    postgres_data: str  # where Postgres' data lives on the Docker host: the filesystem its growth fills
    healthchecks: Mapping[str, RatHealthTiming]


@attrs.frozen
class RatProject:
    """RAT's compose project and the networks of it the monitoring joins."""

    compose: RatCompose
    networks: tuple[str, ...]  # where Prometheus and blackbox-exporter reach ratd and Nessie


@attrs.frozen
class ComposeSettings:
    monitoring_network: str
    publish_address: str
    restart: str
    alertmanager_secrets_dir: str  # as monitoring.yaml gives it (see host_path)
    grafana_admin_password_file: str
    postgres_exporter_password_file: str
    minio_prometheus_token_file: str  # the bearer token Prometheus sends MinIO (docs/minio.md)
    host_paths: HostPaths
    rat: RatSettings
    stack_healthcheck: HealthTiming
    services: Mapping[str, ServiceSettings]
    crash_pages: tuple[str, ...]  # services whose crash pages (alerts/crashes.py); the others' files a ticket
    probe_pages: tuple[str, ...]  # endpoints probed on their own whose failure pages (alerts/endpoints.py)
    backup_alerts: bool  # whether the backup age alerts are rendered (a backup job writes their metric)
    # RAT's compose project as the output loaded it (rat_project.py): from RAT's file, the record of
    # it, or the documented one. None while only the settings are loaded.
    rat_project: RatProject | None = None

    @property
    def project(self) -> RatProject:
        if self.rat_project is None:
            raise DefinitionError("RAT's compose project is read by the compose output's load", obj="settings compose")
        return self.rat_project


def host_path(path: str) -> str:
    """A settings path as the override names it: absolute as given, relative under the project folder."""
    if path.startswith("/"):
        return path
    return f"{PROJECT_DIR}/{posixpath.normpath(path)}"


def generated_path(relative: str) -> str:
    """A file or folder of generated/, as the override mounts it."""
    return f"{GENERATED_DIR}/{relative}"


def _timing(data: Mapping[str, Any], where: str, kind: type[Timing]) -> Timing:
    timing = kind(**data)
    if timing.timeout > timing.interval:
        raise DefinitionError("timeout is longer than the interval", obj=f"settings {where}")
    return timing


def _check_loki_url(options: Mapping[str, str], loki_port: int) -> None:
    url = urlsplit(options["loki-url"])
    # The driver is a Docker plugin in the host's network namespace: it reaches Loki through the
    # port published on the host, never through a compose service name.
    if url.hostname in LOCAL_HOSTS and url.port != loki_port:
        raise DefinitionError(
            f"loki-url port {url.port} is not the port Loki is published on ({loki_port})",
            obj="settings logging.loki.loki-url",
        )


def _check_mounted_path(path: str, where: str) -> None:
    normal = "/" + posixpath.normpath(path).lstrip("/") if path.startswith("/") else path  # normpath keeps "//"
    if normal in SYSTEM_DIRS:
        raise DefinitionError(
            f"{path} is the root or a system folder; give a folder of its own", obj=f"settings {where}"
        )
    if not path.startswith("/") and posixpath.normpath(path).split("/")[0] == GENERATED:
        raise DefinitionError(
            f"{path} is inside generated/, which mac replaces on every generate", obj=f"settings {where}"
        )


def _check_minimum_versions(services: Mapping[str, ServiceSettings]) -> None:
    for name, (minimum, reason) in MINIMUM_VERSIONS.items():
        tag = services[name].image.rsplit(":", 1)[1]
        numbers = tag.removeprefix("v").split("-")[0].split(".")
        if all(n.isdigit() for n in numbers) and tuple(map(int, numbers)) < minimum:
            raise DefinitionError(f"{tag} is too old: {reason}", obj=f"settings compose.services.{name}.image")


def _check_published_ports(services: Mapping[str, ServiceSettings]) -> None:
    """Each host port is published by one of our services at most (RAT's: rat_project.py)."""
    taken: dict[int, str] = {}
    for name, service in services.items():
        if service.publish is None:
            continue
        if service.publish in taken:
            raise DefinitionError(
                f"port {service.publish} is already published by service {taken[service.publish]}",
                obj=f"settings compose.services.{name}.publish",
            )
        taken[service.publish] = name


def _crash_pages(names: list[str], services: Mapping[str, ServiceSettings]) -> tuple[str, ...]:
    known = (*RAT_SERVICES, *services)
    for name in names:
        if name not in known:
            raise DefinitionError(
                f"{name!r} is neither one of RAT's services nor of the stack's ({', '.join(known)})",
                obj="settings compose.crash_pages",
            )
    return tuple(names)


def _rat(rat: Mapping[str, Any]) -> RatSettings:
    return RatSettings(
        **{k: v for k, v in rat.items() if k not in ("file", "networks", "healthchecks")},
        file=rat.get("file"),
        networks=tuple(rat["networks"]) if "networks" in rat else None,
        healthchecks={
            name: _timing(spec, f"compose.rat.healthchecks.{name}", RatHealthTiming)
            for name, spec in rat["healthchecks"].items()
        },
    )


def compose_settings(compose: Mapping[str, Any], core: Settings) -> ComposeSettings:
    """The typed `compose` section of schema-checked, duration-parsed settings data."""
    services = {name: ServiceSettings(**spec) for name, spec in compose["services"].items()}
    _check_minimum_versions(services)
    _check_published_ports(services)
    for where, path in (
        ("compose.secrets.alertmanager_dir", compose["secrets"]["alertmanager_dir"]),
        ("compose.secrets.grafana_admin_password_file", compose["secrets"]["grafana_admin_password_file"]),
        ("compose.secrets.postgres_exporter_password_file", compose["secrets"]["postgres_exporter_password_file"]),
        ("compose.secrets.minio_prometheus_token_file", compose["secrets"]["minio_prometheus_token_file"]),
        ("compose.host_paths.textfile_dir", compose["host_paths"]["textfile_dir"]),
    ):
        _check_mounted_path(path, where)
    if core.logging.driver == LOKI:
        _check_loki_url(core.logging.options, services[LOKI].publish or 0)
    return ComposeSettings(
        monitoring_network=compose["monitoring_network"],
        publish_address=compose["publish_address"],
        restart=compose["restart"],
        alertmanager_secrets_dir=compose["secrets"]["alertmanager_dir"],
        grafana_admin_password_file=compose["secrets"]["grafana_admin_password_file"],
        postgres_exporter_password_file=compose["secrets"]["postgres_exporter_password_file"],
        minio_prometheus_token_file=compose["secrets"]["minio_prometheus_token_file"],
        host_paths=HostPaths(**compose["host_paths"]),
        rat=_rat(compose["rat"]),
        stack_healthcheck=_timing(compose["stack_healthcheck"], "compose.stack_healthcheck", HealthTiming),
        services=services,
        crash_pages=_crash_pages(compose["crash_pages"], services),
        probe_pages=tuple(compose["probe_pages"]),
        backup_alerts=compose["backup_alerts"],
    )


SECTION = Section("compose", __package__, compose_settings, required_by="compose")
