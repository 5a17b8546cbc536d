"""Deployment settings: the logging policy every container gets, retention, and what the
docker-compose override needs from the site (images, ports, paths, networks, health timings).

Part of the one settings object (`Settings.deployment`); `monitoring.yaml` sections `logging`,
`retention` and `compose`, checked by the shipped JSON Schema before they are typed here."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from monitoring_as_code.errors import DefinitionError

JSON_FILE = "json-file"
LOKI = "loki"
# The Loki docker driver takes `container_name={{.Name}}` as its default external labels and drops
# it as soon as the option is set; the override sets both per service, so settings may not.
LOKI_LABELS_SET_BY_OVERRIDE = ("container_name", "service")
# Stream labels the driver adds by itself, and the one Loki 3 derives from `service`.
LOKI_DRIVER_LABELS = ("compose_service", "compose_project", "host", "filename", "service_name")
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# Host ports RAT's own compose file publishes (rat-docker-compose.md): ratd's API and the portal.
RAT_PUBLISHED_PORTS = {8080: "RAT's ratd", 3000: "RAT's portal"}
# Host folders no container of ours may mount as its secrets, textfile or generated/ folder: the
# root and the system's own trees. (The exporters' documented read-only mounts of /, /sys, ... are
# compose.host_paths' root, sys, var_run, docker_data and disks, and are not checked here.)
SYSTEM_DIRS = frozenset(
    {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys"}
    | {"/tmp", "/usr", "/var", "/var/lib", "/var/run", "/var/log"}
)
DAY = 86400


@attrs.frozen
class LoggingPolicy:
    """The Docker logging driver and its log-opts (strings, as Docker takes them) for every service."""

    driver: str
    options: Mapping[str, str]


@attrs.frozen
class HealthTiming:
    interval: float
    timeout: float
    retries: int
    start_period: float


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
    """What the override needs to know about RAT's own compose file and containers."""

    networks: tuple[str, ...]
    ratq_grpc_port: int
    runner_grpc_port: int
    portal_port: int
    nessie_port: int
    postgres_user: str
    healthchecks: Mapping[str, HealthTiming]


@attrs.frozen
class ComposeSettings:
    generated_dir: str  # generated/, seen from the folder of RAT's compose file (Compose resolves from there)
    monitoring_network: str
    publish_address: str
    restart: str
    alertmanager_secrets_dir: str
    grafana_admin_password_file: str
    host_paths: HostPaths
    rat: RatSettings
    stack_healthcheck: HealthTiming
    services: Mapping[str, ServiceSettings]


@attrs.frozen
class Retention:
    prometheus: float
    loki: float


@attrs.frozen
class Deployment:
    logging: LoggingPolicy
    retention: Retention
    compose: ComposeSettings


def _timing(data: Mapping[str, Any], where: str) -> HealthTiming:
    timing = HealthTiming(**data)
    if timing.timeout > timing.interval:
        raise DefinitionError("timeout is longer than the interval", obj=f"settings {where}")
    return timing


def loki_stream_labels(policy: LoggingPolicy) -> frozenset[str]:
    """The labels a Loki stream selector can match on under this logging policy."""
    external = policy.options.get("loki-external-labels", "")
    extra = {pair.split("=", 1)[0].strip() for pair in external.split(",") if pair.strip()}
    return frozenset(LOKI_DRIVER_LABELS) | set(LOKI_LABELS_SET_BY_OVERRIDE) | extra


def _check_loki_options(options: Mapping[str, str], loki_port: int) -> None:
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
    url = urlsplit(options["loki-url"])
    # The driver is a Docker plugin in the host's network namespace: it reaches Loki through the
    # port published on the host, never through a compose service name.
    if url.hostname in LOCAL_HOSTS and url.port != loki_port:
        raise DefinitionError(
            f"loki-url port {url.port} is not the port Loki is published on ({loki_port})", obj=f"{where}.loki-url"
        )


def _check_published_ports(services: Mapping[str, ServiceSettings]) -> None:
    """Each host port is published once: by one of our services, or by RAT."""
    taken = dict(RAT_PUBLISHED_PORTS)
    for name, service in services.items():
        if service.publish is None:
            continue
        if service.publish in taken:
            raise DefinitionError(
                f"port {service.publish} is already published by {taken[service.publish]}",
                obj=f"settings compose.services.{name}.publish",
            )
        taken[service.publish] = f"service {name}"


def _check_mounted_path(path: str, where: str) -> None:
    normal = "/" + posixpath.normpath(path).lstrip("/") if path.startswith("/") else path  # normpath keeps "//"
    if normal in SYSTEM_DIRS:
        raise DefinitionError(
            f"{path} is the root or a system folder; give a folder of its own", obj=f"settings {where}"
        )


def deployment_settings(data: Mapping[str, Any]) -> Deployment:
    """The typed deployment sections of schema-checked, duration-parsed settings data."""
    compose = data["compose"]
    services = {name: ServiceSettings(**spec) for name, spec in compose["services"].items()}
    _check_published_ports(services)
    for where, path in (
        ("compose.generated_dir", compose["generated_dir"]),
        ("compose.secrets.alertmanager_dir", compose["secrets"]["alertmanager_dir"]),
        ("compose.secrets.grafana_admin_password_file", compose["secrets"]["grafana_admin_password_file"]),
        ("compose.host_paths.textfile_dir", compose["host_paths"]["textfile_dir"]),
    ):
        _check_mounted_path(path, where)
    rat = compose["rat"]
    logging = data["logging"]
    driver = logging["driver"]
    options = dict(logging[driver])  # strings, as the schema requires
    if LOKI in logging:
        _check_loki_options(logging[LOKI], services[LOKI].publish or 0)
    retention = Retention(**data["retention"])
    if retention.loki < DAY or retention.loki % DAY:
        # Loki's compactor deletes whole daily index tables.
        raise DefinitionError("must be a whole number of days", obj="settings retention.loki")
    return Deployment(
        logging=LoggingPolicy(driver=driver, options=options),
        retention=retention,
        compose=ComposeSettings(
            generated_dir=compose["generated_dir"],
            monitoring_network=compose["monitoring_network"],
            publish_address=compose["publish_address"],
            restart=compose["restart"],
            alertmanager_secrets_dir=compose["secrets"]["alertmanager_dir"],
            grafana_admin_password_file=compose["secrets"]["grafana_admin_password_file"],
            host_paths=HostPaths(**compose["host_paths"]),
            rat=RatSettings(
                **{k: v for k, v in rat.items() if k not in ("networks", "healthchecks")},
                networks=tuple(rat["networks"]),
                healthchecks={
                    name: _timing(spec, f"compose.rat.healthchecks.{name}")
                    for name, spec in rat["healthchecks"].items()
                },
            ),
            stack_healthcheck=_timing(compose["stack_healthcheck"], "compose.stack_healthcheck"),
            services=services,
        ),
    )
