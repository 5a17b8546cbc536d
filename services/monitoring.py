"""The monitoring stack, each service as its pinned image expects it: config files at the image's
own paths (read-only, from generated/), data in named volumes, health checks that use only what
the image contains, and the networks it needs to reach what it scrapes.

What the images contain (their Dockerfiles): prometheus, alertmanager, blackbox-exporter and
node-exporter and postgres-exporter are built on quay.io/prometheus/busybox (sh, wget); cAdvisor on Alpine (wget, its
own HEALTHCHECK asks /healthz); Grafana's Alpine image adds curl for health checks; Loki 3.7 is
distroless (no shell, no wget) and ships `loki -health`, which asks localhost:3100/ready."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.catalog import COMPOSE_LABELS
from monitoring_as_code.duration import format_duration
from monitoring_as_code.outputs.compose.secrets import MINIO_PROMETHEUS_TOKEN
from monitoring_as_code.outputs.compose.settings import LOKI_DATA_DIR, LOKI_HTTP_PORT, generated_path, host_path
from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.outputs.compose.unit import PATHS
from monitoring_as_code.settings import Settings
from monitoring_as_code.stack import ALERTMANAGER_SECRETS, BindMount, HealthCheck, MonitoringService, VolumeMount

GRAFANA_PORT = 3000  # Grafana's default listen port
# The Docker labels cAdvisor exports (as container_label_<name with _ for .>): the Compose ones the
# catalog lists, no other label and no environment variable of any container.
CADVISOR_LABELS = tuple(label.removeprefix("container_label_").replace("_", ".") for label in COMPOSE_LABELS)
GRAFANA_ADMIN_PASSWORD = "grafana_admin_password"
POSTGRES_EXPORTER_PASSWORD = "postgres_exporter_password"
POSTGRES_PORT = 5432  # where RAT's services reach postgres on its network (rat-docker-compose.md)


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def _generated(relative: str, target: str) -> BindMount:
    return BindMount(generated_path(relative), target, generated=True)


def define(settings: Settings) -> list[MonitoringService]:
    compose = settings.of(COMPOSE_SETTINGS)
    retention = settings.retention
    targets = settings.targets
    host = compose.host_paths
    timing = compose.stack_healthcheck

    def check(*command: str) -> HealthCheck:
        return HealthCheck(command, timing.interval, timing.timeout, timing.retries, timing.start_period)

    def http_ok(port: int, path: str) -> HealthCheck:
        return check("wget", "-q", "-O", "/dev/null", f"http://localhost:{port}{path}")

    def service(
        name: str, port: int, health: HealthCheck, *, scrapes_rat: bool = False, **kwargs: Any
    ) -> MonitoringService:
        # Image, limits and published port from settings; RAT's networks only for what reaches ratd.
        spec = compose.services[name]
        networks = (compose.monitoring_network, *(compose.project.networks if scrapes_rat else ()))
        return MonitoringService(
            name, spec.image, port, health, networks, publish=spec.publish, memory=spec.memory, cpus=spec.cpus,
            **kwargs,
        )  # fmt: skip

    prometheus_port = _port(targets.prometheus)
    alertmanager_port = _port(targets.alertmanager)
    blackbox_port = _port(targets.blackbox)
    cadvisor_port = _port(targets.cadvisor)
    node_port = _port(targets.node_exporter)
    postgres_exporter_port = _port(targets.postgres_exporter)
    return [
        service(
            "prometheus",
            prometheus_port,
            http_ok(prometheus_port, "/-/ready"),
            scrapes_rat=True,  # ratd:8080/metrics, minio:9000, nessie's management port
            command=(
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                f"--storage.tsdb.retention.time={format_duration(retention.prometheus)}",
                f"--web.listen-address=:{prometheus_port}",
            ),
            # The whole folder: prometheus.yml names its rule files relative to itself.
            mounts=(
                _generated(PATHS.prometheus_dir, "/etc/prometheus"),
                VolumeMount("prometheus-data", "/prometheus"),
            ),
            # MinIO's metrics need a bearer token (RAT sets no MINIO_PROMETHEUS_AUTH_TYPE): a Compose
            # secret, never a value in prometheus.yml (docs/minio.md).
            secrets={MINIO_PROMETHEUS_TOKEN: host_path(compose.minio_prometheus_token_file)},
        ),
        service(
            "alertmanager",
            alertmanager_port,
            http_ok(alertmanager_port, "/-/ready"),
            command=(
                "--config.file=/etc/alertmanager/alertmanager.yml",
                "--storage.path=/alertmanager",
                f"--web.listen-address=:{alertmanager_port}",
            ),
            mounts=(
                _generated(PATHS.alertmanager_config, "/etc/alertmanager/alertmanager.yml"),
                BindMount(host_path(compose.alertmanager_secrets_dir), ALERTMANAGER_SECRETS),
                VolumeMount("alertmanager-data", "/alertmanager"),
            ),
        ),
        service(
            "blackbox-exporter",
            blackbox_port,
            http_ok(blackbox_port, "/-/healthy"),
            scrapes_rat=True,  # probes ratd's health endpoints
            command=("--config.file=/etc/blackbox_exporter/config.yml", f"--web.listen-address=:{blackbox_port}"),
            mounts=(_generated(PATHS.blackbox_config, "/etc/blackbox_exporter/config.yml"),),
        ),
        service(
            "cadvisor",
            cadvisor_port,
            http_ok(cadvisor_port, "/healthz"),
            command=(
                f"--port={cadvisor_port}",
                "--docker_only=true",
                # Flag names as cAdvisor's runtime options document them; the allow-list takes
                # effect only with store_container_labels=false.
                "--store_container_labels=false",
                f"--whitelisted_container_labels={','.join(CADVISOR_LABELS)}",
            ),
            # cAdvisor's documented mounts; privileged and /dev/kmsg as its docs ask on cgroup v2
            # hosts (container stats, OOM events).
            mounts=(
                BindMount(host_path(host.root), "/rootfs"),
                BindMount(host_path(host.var_run), "/var/run"),
                BindMount(host_path(host.sys), "/sys"),
                BindMount(host_path(host.docker_data), "/var/lib/docker"),
                BindMount(host_path(host.disks), "/dev/disk"),
            ),
            devices=("/dev/kmsg:/dev/kmsg",),
            privileged=True,
        ),
        service(
            "node-exporter",
            node_port,
            http_ok(node_port, "/"),
            command=(
                "--path.rootfs=/host",  # disk usage of the host's filesystems, not the container's
                "--collector.textfile.directory=/textfile",  # rat_backup_last_success_timestamp_seconds
                f"--web.listen-address=:{node_port}",
            ),
            mounts=(
                BindMount(host_path(host.root), "/host", propagation="rslave"),
                BindMount(host_path(host.textfile_dir), "/textfile"),
            ),
            pid="host",
        ),
        service(
            "loki",
            LOKI_HTTP_PORT,
            check("/usr/bin/loki", "-health"),
            # The image's own default config path: no command needed.
            mounts=(
                _generated(PATHS.loki_config, "/etc/loki/local-config.yaml"),
                VolumeMount("loki-data", LOKI_DATA_DIR),
            ),
        ),
        service(
            "grafana",
            GRAFANA_PORT,
            check("curl", "-fsS", "-o", "/dev/null", f"http://localhost:{GRAFANA_PORT}/api/health"),
            environment={
                "GF_SECURITY_ADMIN_PASSWORD__FILE": f"/run/secrets/{GRAFANA_ADMIN_PASSWORD}",
                "GF_AUTH_ANONYMOUS_ENABLED": "false",
                "GF_USERS_ALLOW_SIGN_UP": "false",
            },
            secrets={GRAFANA_ADMIN_PASSWORD: host_path(compose.grafana_admin_password_file)},
            mounts=(
                VolumeMount("grafana-data", "/var/lib/grafana"),
                # Both provisioning folders (datasources, dashboard providers) in one mount.
                _generated(PATHS.provisioning_dir, "/etc/grafana/provisioning"),
                _generated(PATHS.dashboards, "/var/lib/grafana/dashboards"),
            ),
        ),
        service(
            "postgres-exporter",
            postgres_exporter_port,
            http_ok(postgres_exporter_port, "/"),
            scrapes_rat=True,  # postgres:5432 on RAT's network
            command=(f"--web.listen-address=:{postgres_exporter_port}",),
            # The read-only role of docs/postgres.md; the password is a Compose secret, never a value
            # in the compose file. The exporter holds one connection (see docs/postgres.md).
            environment={
                "DATA_SOURCE_URI": f"postgres:{POSTGRES_PORT}/{compose.rat.postgres_database}?sslmode=disable",
                "DATA_SOURCE_USER": compose.rat.postgres_monitor_user,
                "DATA_SOURCE_PASS_FILE": f"/run/secrets/{POSTGRES_EXPORTER_PASSWORD}",
            },
            secrets={POSTGRES_EXPORTER_PASSWORD: host_path(compose.postgres_exporter_password_file)},
        ),
    ]
