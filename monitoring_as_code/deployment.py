"""Deployment settings: the logging policy every container gets, retention, and what the
docker-compose override needs from the site (images, ports, paths, networks, health timings).

Part of the one settings object (`Settings.deployment`); `monitoring.yaml` sections `logging`,
`retention` and `compose`, checked by the shipped JSON Schema before they are typed here."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.rat_compose import DOCUMENTED, RAT_SERVICES, RatCompose, read_rat_compose

JSON_FILE = "json-file"
LOKI = "loki"
# The Loki docker driver takes `container_name={{.Name}}` as its default external labels and drops
# it as soon as the option is set; the override sets both per service, so settings may not.
LOKI_LABELS_SET_BY_OVERRIDE = ("container_name", "service")
# Stream labels the driver adds by itself, and the one Loki 3 derives from `service`.
LOKI_DRIVER_LABELS = ("compose_service", "compose_project", "host", "filename", "service_name")
LOCAL_HOSTS = ("127.0.0.1", "localhost")
LOKI_HTTP_PORT = 3100  # Loki's default; `loki -health` (the container's health check) asks localhost:3100/ready
LOKI_DATA_DIR = "/loki"  # the image's data folder, owned by its non-root user; the named volume mounts here
# The oldest image version of a service that still sees what the monitoring reads, and why.
MINIMUM_VERSIONS = {
    "cadvisor": (
        (0, 54, 0),
        "cAdvisor before v0.54.0 creates no Docker container handler under Docker 29's containerd image store",
    ),
}
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

    @property
    def ships_to_loki(self) -> bool:
        """Whether container logs reach Loki: only the Loki driver sends them there."""
        return self.driver == LOKI


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
    """What the override needs to know about RAT's own compose file and containers."""

    compose: RatCompose  # RAT's compose file as read (compose.rat.file), or as documented
    networks: tuple[str, ...]  # where Prometheus and blackbox-exporter reach ratd
    ratq_grpc_port: int
    runner_grpc_port: int
    portal_port: int
    nessie_management_port: int
    postgres_user: str
    healthchecks: Mapping[str, RatHealthTiming]


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
class KubernetesGrafana:
    prometheus_uid: str = "prometheus"  # kube-prometheus-stack's Grafana provisions its Prometheus with this uid
    alertmanager_uid: str = "alertmanager"
    loki_url: str = "http://loki.monitoring.svc:3100"  # the stack has no Loki: ours is provisioned
    folder: str = "RAT"


# On a cluster our configSecret is the whole Alertmanager's configuration: the cluster's own alerts
# go to `kubernetes.cluster_receiver`, or to this one, with no integrations (kube-prometheus-stack's
# default receiver has this name and no integrations too).
CLUSTER_NULL_RECEIVER = "null"


@attrs.frozen
class KubernetesSettings:
    """The `kubernetes` section: where the prometheus-operator resources go and what they select.
    The defaults are RAT's documented shapes (rat-kubernetes.md) and kube-prometheus-stack's."""

    namespace: str = "monitoring"
    rat_namespace: str = "rat"
    ratd_selector: Mapping[str, str] = attrs.field(factory=lambda: {"app": "ratd"})
    ratd_port: str = "http"
    ratd_pod_selector: Mapping[str, str] = attrs.field(factory=lambda: {"app": "ratd"})
    probe_service: str = "ratd-probe"
    # The Service the prometheus-blackbox-exporter chart creates for a release of that name in
    # `monitoring` (README, "Kubernetes": kube-prometheus-stack ships no blackbox_exporter).
    prober: str = "prometheus-blackbox-exporter.monitoring.svc:9115"
    labels: Mapping[str, Mapping[str, str]] = attrs.field(
        factory=lambda: (
            {"PrometheusRule": {"release": "kube-prometheus-stack"}}
            | {kind: {"release": "kube-prometheus-stack"} for kind in ("ServiceMonitor", "Probe")}
        )
    )
    grafana: KubernetesGrafana = KubernetesGrafana()
    alertmanager_secret: str = "alertmanager-rat"
    receiver_secret: str = "alertmanager-rat-receivers"
    kube_prometheus_stack_values: bool = True
    rbac_for: str | None = None  # "namespace/serviceaccount" of a kube-prometheus Prometheus
    # A receiver of alertmanager.receivers for the cluster's own alerts (every alert outside
    # rat_namespace); unset: CLUSTER_NULL_RECEIVER, which sends nothing.
    cluster_receiver: str | None = None
    runbook_base_url: str | None = None  # unset: derived from runbook_base_url (outputs/kubernetes.py)

    def labels_of(self, kind: str) -> dict[str, str]:
        return {
            "app.kubernetes.io/part-of": "rat-monitoring",
            **self.labels.get("all", {}),
            **self.labels.get(kind, {}),
        }


@attrs.frozen
class Deployment:
    logging: LoggingPolicy
    retention: Retention
    compose: ComposeSettings
    kubernetes: KubernetesSettings = KubernetesSettings()


def kubernetes_settings(data: Mapping[str, Any]) -> KubernetesSettings:
    """The typed `kubernetes` section (schema-checked); a key left out keeps its default."""
    values = dict(data)
    if "grafana" in values:
        values["grafana"] = KubernetesGrafana(**values["grafana"])
    if "labels" in values:
        values["labels"] = {**KubernetesSettings().labels, **values["labels"]}
    return KubernetesSettings(**values)


def _timing(data: Mapping[str, Any], where: str, kind: type[Timing]) -> Timing:
    timing = kind(**data)
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


# The RAT services the monitoring talks to: ratd (metrics, health) and Nessie (its API, probed).
REACHED = ("ratd", "nessie")


def networks_reaching(rat: RatCompose, services: tuple[str, ...]) -> tuple[str, ...]:
    """The fewest of RAT's networks that reach every one of `services`: one they all share (in the
    first's order), else the first network of each. RAT's guide keeps `frontend` to portal and
    ratd; the monitoring needs only `backend`."""
    first, *others = (rat.service_networks[s] for s in services)
    shared = [n for n in first if all(n in o for o in others)]
    return (shared[0],) if shared else tuple(dict.fromkeys(nets[0] for nets in (first, *others) if nets))


def _rat_settings(rat: Mapping[str, Any], settings_dir: Path) -> RatSettings:
    """RAT's compose project (read from compose.rat.file, relative to monitoring.yaml) and what the
    settings say about it, checked against it: every service the override touches or the settings
    name exists, and every network named is one RAT declares."""
    base = read_rat_compose(settings_dir / rat["file"], rat["file"]) if "file" in rat else DOCUMENTED
    for name in (*RAT_SERVICES, *rat["healthchecks"]):
        if name not in base.service_networks:
            where = "compose.rat.file" if name in RAT_SERVICES else f"compose.rat.healthchecks.{name}"
            raise DefinitionError(
                f"{base.source} has no service {name!r} (it has: {', '.join(sorted(base.services))})",
                obj=f"settings {where}",
            )
    networks = tuple(rat.get("networks") or networks_reaching(base, REACHED))
    for network in networks:
        if network not in base.networks:
            raise DefinitionError(
                f"{base.source} declares no network {network!r} (it has: {', '.join(sorted(base.networks))})",
                obj="settings compose.rat.networks",
            )
    return RatSettings(
        **{k: v for k, v in rat.items() if k not in ("file", "networks", "healthchecks")},
        compose=base,
        networks=networks,
        healthchecks={
            name: _timing(spec, f"compose.rat.healthchecks.{name}", RatHealthTiming)
            for name, spec in rat["healthchecks"].items()
        },
    )


def _check_published_ports(services: Mapping[str, ServiceSettings], rat: RatCompose) -> None:
    """Each host port is published once: by one of our services, or by RAT (its compose file's
    ports, or those its guide documents)."""
    taken = {port: f"RAT's {service}" for port, service in rat.published.items()}
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


def _check_minimum_versions(services: Mapping[str, ServiceSettings]) -> None:
    for name, (minimum, reason) in MINIMUM_VERSIONS.items():
        tag = services[name].image.rsplit(":", 1)[1]
        numbers = tag.removeprefix("v").split("-")[0].split(".")
        if all(n.isdigit() for n in numbers) and tuple(map(int, numbers)) < minimum:
            raise DefinitionError(f"{tag} is too old: {reason}", obj=f"settings compose.services.{name}.image")


def deployment_settings(data: Mapping[str, Any], settings_dir: Path) -> Deployment:
    """The typed deployment sections of schema-checked, duration-parsed settings data; relative
    paths in them are relative to `settings_dir`, the folder of monitoring.yaml."""
    compose = data["compose"]
    services = {name: ServiceSettings(**spec) for name, spec in compose["services"].items()}
    _check_minimum_versions(services)
    for where, path in (
        ("compose.generated_dir", compose["generated_dir"]),
        ("compose.secrets.alertmanager_dir", compose["secrets"]["alertmanager_dir"]),
        ("compose.secrets.grafana_admin_password_file", compose["secrets"]["grafana_admin_password_file"]),
        ("compose.host_paths.textfile_dir", compose["host_paths"]["textfile_dir"]),
    ):
        _check_mounted_path(path, where)
    rat = _rat_settings(compose["rat"], settings_dir)
    _check_published_ports(services, rat.compose)
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
            rat=rat,
            stack_healthcheck=_timing(compose["stack_healthcheck"], "compose.stack_healthcheck", HealthTiming),
            services=services,
        ),
        kubernetes=kubernetes_settings(data.get("kubernetes", {})),
    )
