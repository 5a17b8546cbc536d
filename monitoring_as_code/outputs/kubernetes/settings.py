"""The kubernetes output's section of monitoring.yaml: where the prometheus-operator resources go
and what they select. The defaults are RAT's documented shapes (rat-kubernetes.md) and
kube-prometheus-stack's; an absent section means all of them. Checked by the schema fragment
beside this file, then typed here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.settings import AlertmanagerSettings, Section, Settings, check_deliverable


@attrs.frozen
class KubernetesGrafana:
    prometheus_uid: str = "prometheus"  # kube-prometheus-stack's Grafana provisions its Prometheus with this uid
    alertmanager_uid: str = "alertmanager"
    loki_url: str = "http://loki.monitoring.svc:3100"  # the stack has no Loki: ours is provisioned
    folder: str = "RAT"


@attrs.frozen
class BearerToken:
    """The Kubernetes Secret (in kubernetes.namespace, where the operator reads a ServiceMonitor's
    Secrets) holding a scrape job's bearer token: the cluster's stand-in for compose's
    credentials_file."""

    secret: str
    key: str = "token"


@attrs.frozen
class MonitoredService:
    """Where a scrape job's targets are on a cluster: the Service its ServiceMonitor selects, by
    labels, and the name of the port it scrapes. Unset, each is the scrape job's own name."""

    selector: Mapping[str, str] | None = None  # None: {app: <job>}, as RAT labels its pods
    port: str | None = None  # None: the job's entry in DEFAULT_PORTS, else "metrics"
    namespace: str | None = None  # None: rat_namespace
    bearer_token: BearerToken | None = None  # None: BearerToken("<job>-prometheus-token"), if it needs one

    def token(self, job: str) -> BearerToken:
        """The Secret of a job whose scrape needs a bearer token (a credentials_file on compose)."""
        return self.bearer_token or BearerToken(f"{job}-prometheus-token")


# The services RAT's cluster may run itself or replace by a managed one (rat-kubernetes.md, "prefer
# managed services": Amazon S3 or GCS for MinIO, Dremio Cloud for Nessie). Their monitoring reaches
# the cluster only when kubernetes.in_cluster lists them; Postgres' exporter works against both.
IN_CLUSTER_SERVICES = ("minio", "nessie")

# The metrics port's name on a Service when monitors.<job>.port is unset. RAT documents no port
# names but ratd's (`http`); MinIO serves its metrics on its API port, named `http` as ratd's is,
# and Nessie on its management port, which Nessie's own Helm chart and operator name `nessie-mgmt`
# (on a Service of its own: RAT's documented `nessie` Service has only 19120).
DEFAULT_PORTS = {"minio": "http", "nessie": "nessie-mgmt"}


# ratd's scrape job: its Service is `ratd_selector` and `ratd_port` (RAT's documented shapes).
RATD_SCRAPE_JOB = "ratd"


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
    ratd_service: str = "ratd"  # the Service users reach ratd through (rat-kubernetes.md)
    # The Service the prometheus-blackbox-exporter chart creates for a release of that name in
    # `monitoring` (docs/kubernetes.md: kube-prometheus-stack ships no blackbox_exporter).
    prober: str = "prometheus-blackbox-exporter.monitoring.svc:9115"
    labels: Mapping[str, Mapping[str, str]] = attrs.field(
        factory=lambda: (
            {"PrometheusRule": {"release": "kube-prometheus-stack"}}
            | {kind: {"release": "kube-prometheus-stack"} for kind in ("ServiceMonitor", "PodMonitor", "Probe")}
        )
    )
    # Every other scrape job (an exporter's) by its name: a ServiceMonitor each.
    monitors: Mapping[str, MonitoredService] = attrs.field(factory=dict)
    # Which of IN_CLUSTER_SERVICES run in the cluster, monitored there; none by default.
    in_cluster: tuple[str, ...] = ()
    grafana: KubernetesGrafana = KubernetesGrafana()
    alertmanager_secret: str = "alertmanager-rat"
    receiver_secret: str = "alertmanager-rat-receivers"
    kube_prometheus_stack_values: bool = True
    rbac_for: str | None = None  # "namespace/serviceaccount" of a kube-prometheus Prometheus
    # A receiver of alertmanager.receivers for the cluster's own alerts (every alert outside
    # rat_namespace); unset: CLUSTER_NULL_RECEIVER, which sends nothing.
    cluster_receiver: str | None = None
    runbook_base_url: str | None = None  # unset: derived from runbook_base_url (outputs/kubernetes.py)

    def monitor_of(self, job: str) -> MonitoredService:
        """The Service a scrape job's ServiceMonitor selects, every default filled in."""
        if job == RATD_SCRAPE_JOB:
            return MonitoredService(dict(self.ratd_selector), self.ratd_port, self.rat_namespace)
        given = self.monitors.get(job, MonitoredService())
        return MonitoredService(
            dict(given.selector or {"app": job}),
            given.port or DEFAULT_PORTS.get(job, "metrics"),
            given.namespace or self.rat_namespace,
            given.token(job),
        )

    def labels_of(self, kind: str) -> dict[str, str]:
        return {
            "app.kubernetes.io/part-of": "rat-monitoring",
            **self.labels.get("all", {}),
            **self.labels.get(kind, {}),
        }


def _monitored_service(shape: Mapping[str, Any]) -> MonitoredService:
    values = dict(shape)
    if "bearer_token" in values:
        values["bearer_token"] = BearerToken(**values["bearer_token"])
    return MonitoredService(**values)


def _check_cluster_receiver(name: str | None, am: AlertmanagerSettings) -> None:
    """kubernetes.cluster_receiver names one of alertmanager.receivers, as route_to does."""
    if name is None:
        return
    by_name = {r.name: r for r in am.receivers}
    where = "settings kubernetes.cluster_receiver"
    if name not in by_name:
        raise DefinitionError(f"unknown receiver {name!r} (defined: {', '.join(sorted(by_name))})", obj=where)
    check_deliverable(by_name[name], where)


def _check_in_cluster(names: tuple[str, ...]) -> None:
    """kubernetes.in_cluster names only services whose monitoring is opt-in on a cluster (the
    schema refuses a name listed twice)."""
    for name in names:
        if name not in IN_CLUSTER_SERVICES:
            raise DefinitionError(
                f"unknown service {name!r} (known: {', '.join(IN_CLUSTER_SERVICES)})",
                obj="settings kubernetes.in_cluster",
            )


def kubernetes_settings(data: Mapping[str, Any], core: Settings) -> KubernetesSettings:
    """The typed `kubernetes` section (schema-checked); a key left out keeps its default."""
    values = dict(data)
    if "grafana" in values:
        values["grafana"] = KubernetesGrafana(**values["grafana"])
    if "monitors" in values:
        values["monitors"] = {job: _monitored_service(shape) for job, shape in values["monitors"].items()}
    if "in_cluster" in values:
        values["in_cluster"] = tuple(values["in_cluster"])
        _check_in_cluster(values["in_cluster"])
    if "labels" in values:
        values["labels"] = {**KubernetesSettings().labels, **values["labels"]}
    settings = KubernetesSettings(**values)
    _check_cluster_receiver(settings.cluster_receiver, core.alertmanager)
    return settings


SECTION = Section("kubernetes", __package__, kubernetes_settings, default=KubernetesSettings)
