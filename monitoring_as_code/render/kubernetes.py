"""Kubernetes objects for prometheus-operator (monitoring.coreos.com/v1, operator v0.93) and the
Grafana and Alertmanager of kube-prometheus(-stack): each function takes the model and settings
and returns one object as plain data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from monitoring_as_code.duration import format_duration
from monitoring_as_code.model import Probe, RuleGroup, ScrapeJob
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.outputs.kubernetes.settings import KubernetesSettings
from monitoring_as_code.render.prometheus import job_interval, job_timeout
from monitoring_as_code.settings import Settings

MONITORING = "monitoring.coreos.com/v1"
# kube-prometheus-stack's Grafana sidecars load ConfigMaps carrying these labels.
DASHBOARD_LABEL = "grafana_dashboard"
DATASOURCE_LABEL = "grafana_datasource"
# The sidecar puts a dashboard into the folder this annotation names (the values snippet sets
# `sidecar.dashboards.folderAnnotation` to it).
FOLDER_ANNOTATION = "grafana_folder"
BLACKBOX_CONFIG_KEY = "blackbox.yml"
ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml"  # the key the operator reads from configSecret


def object_name(*parts: str) -> str:
    """A DNS-1123 name from parts (rule group names may hold `_`)."""
    return "-".join(parts).lower().replace("_", "-")


def _object(api_version: str, kind: str, name: str, namespace: str, k8s: KubernetesSettings) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": k8s.labels_of(kind)},
    }


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def render_service_monitor(job: ScrapeJob, settings: Settings) -> dict[str, Any]:
    """A scrape job's ServiceMonitor: the Service and port `kubernetes.monitor_of` names for it
    (ratd's, or an exporter's); `job` stays the scrape job's name whatever the Service is called,
    so every selector keeps reading job="<name>". The interval and timestamps as on compose; a job
    compose scrapes with a bearer token file (MinIO's) reads it from the monitor's Secret."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    service = k8s.monitor_of(job.service or job.name)
    monitor = _object(MONITORING, "ServiceMonitor", object_name("rat", job.name), k8s.namespace, k8s)
    endpoint: dict[str, Any] = {
        "port": service.port,
        "path": job.metrics_path,
        "interval": format_duration(job_interval(job, settings)),
    }
    if timeout := job_timeout(job, settings):
        endpoint["scrapeTimeout"] = format_duration(timeout)
    if not job.honor_timestamps:
        endpoint["honorTimestamps"] = False
    if job.credentials_file and service.bearer_token:
        token = service.bearer_token
        endpoint["authorization"] = {"type": "Bearer", "credentials": {"name": token.secret, "key": token.key}}
    endpoint["relabelings"] = [{"action": "replace", "targetLabel": "job", "replacement": job.name}]
    monitor["spec"] = {
        "namespaceSelector": {"matchNames": [service.namespace]},
        "selector": {"matchLabels": dict(service.selector or {})},
        "endpoints": [endpoint],
    }
    return monitor


def render_pod_probe(probe: Probe, settings: Settings) -> dict[str, Any]:
    """A probe of every ratd pod on its own: a PodMonitor (Kubernetes service discovery, role pod:
    ready or not, each pod is a target) whose relabelings hand each pod's address to the
    blackbox_exporter at `prober` as the probe's target. Its series carry the pod's `pod` and
    `namespace`, and `job` and `check` as a Probe's would."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    url = urlsplit(probe.url)
    monitor = _object(MONITORING, "PodMonitor", object_name("rat", "probe", probe.check), k8s.namespace, k8s)
    target = f"{url.scheme}://${{1}}{url.path}" + (f"?{url.query}" if url.query else "")
    monitor["spec"] = {
        "namespaceSelector": {"matchNames": [k8s.rat_namespace]},
        "selector": {"matchLabels": dict(k8s.ratd_pod_selector)},
        "podMetricsEndpoints": [
            {
                "portNumber": url.port,  # RAT's pods declare their port by number only (rat-kubernetes.md)
                "path": "/probe",
                "scheme": "http",
                "params": {"module": [probe.module]},
                "interval": format_duration(probe.interval or settings.intervals.scrape),
                "relabelings": [
                    {"sourceLabels": ["__address__"], "targetLabel": "__param_target", "replacement": target},
                    {"sourceLabels": ["__param_target"], "targetLabel": "instance"},
                    {"targetLabel": "__address__", "replacement": k8s.prober},
                    {"targetLabel": "job", "replacement": probe.job},
                    {"targetLabel": "check", "replacement": probe.check},
                ],
            }
        ],
    }
    return monitor


def render_probe(probe: Probe, settings: Settings) -> dict[str, Any]:
    """One Probe per check: its static labels carry `check` (and RAT's namespace), its jobName
    the job the alerts select."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    resource = _object(MONITORING, "Probe", object_name("rat", "probe", probe.check), k8s.namespace, k8s)
    resource["spec"] = {
        "jobName": probe.job,
        "interval": format_duration(probe.interval or settings.intervals.scrape),
        "module": probe.module,
        "prober": {"url": k8s.prober, "scheme": "http", "path": "/probe"},
        "targets": {
            "staticConfig": {
                "static": [probe.url],
                "labels": {"check": probe.check, "namespace": k8s.rat_namespace},
            }
        },
    }
    return resource


def render_config_map(name: str, data: Mapping[str, str], settings: Settings, **metadata: Any) -> dict[str, Any]:
    k8s = settings.of(KUBERNETES_SETTINGS)
    config_map = _object("v1", "ConfigMap", name, k8s.namespace, k8s)
    config_map["metadata"]["labels"].update(metadata.get("labels", {}))
    if "annotations" in metadata:
        config_map["metadata"]["annotations"] = metadata["annotations"]
    config_map["data"] = dict(data)
    return config_map


def render_prometheus_rule(group: RuleGroup, rule_file: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """One PrometheusRule per rule group; its spec is the rule file promtool checks and tests."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    rule = _object(MONITORING, "PrometheusRule", object_name("rat", group.name), k8s.namespace, k8s)
    rule["spec"] = rule_file
    return rule


def render_alertmanager_secret(config_text: str, settings: Settings) -> dict[str, Any]:
    """The whole alertmanager.yaml for the Alertmanager resource's configSecret."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    secret = _object("v1", "Secret", k8s.alertmanager_secret, k8s.namespace, k8s)
    secret["type"] = "Opaque"
    secret["stringData"] = {ALERTMANAGER_CONFIG_KEY: config_text}
    return secret


def render_loki_datasource(settings: Settings) -> dict[str, Any]:
    """What the stack lacks: Loki, never a second default datasource (the stack's Prometheus is it)."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    loki = settings.grafana.datasources.loki
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "RAT Loki",
                "type": "loki",
                "uid": loki.uid,
                "access": "proxy",
                "url": k8s.grafana.loki_url,
                "isDefault": False,
                "editable": False,
            }
        ],
    }


def render_rbac(settings: Settings) -> list[dict[str, Any]]:
    """kube-prometheus' Prometheus may only watch a few namespaces: a Role in RAT's namespace to
    discover ratd's endpoints, bound to its service account (`kubernetes.rbac_for`)."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    if k8s.rbac_for is None:
        return []
    account_namespace, account = k8s.rbac_for.split("/")
    name = object_name("rat-monitoring", account)
    role = _object("rbac.authorization.k8s.io/v1", "Role", name, k8s.rat_namespace, k8s)
    role["rules"] = [
        {"apiGroups": [""], "resources": ["services", "endpoints", "pods"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
    ]
    binding = _object("rbac.authorization.k8s.io/v1", "RoleBinding", name, k8s.rat_namespace, k8s)
    binding["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}
    binding["subjects"] = [{"kind": "ServiceAccount", "name": account, "namespace": account_namespace}]
    return [role, binding]


def render_stack_values(settings: Settings) -> dict[str, Any]:
    """A kube-prometheus-stack values snippet. Its Prometheus selects rules, ServiceMonitors and
    Probes labelled `release: <release>` by default, which our objects carry (kubernetes.labels);
    the snippet makes Alertmanager read our configSecret and mount the receivers' Secret, and the
    Grafana sidecars file our dashboards into their folder."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    return {
        "alertmanager": {
            "alertmanagerSpec": {"configSecret": k8s.alertmanager_secret, "secrets": [k8s.receiver_secret]},
        },
        "grafana": {
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": DASHBOARD_LABEL,
                    "labelValue": "1",
                    "folderAnnotation": FOLDER_ANNOTATION,
                    "provider": {"foldersFromFilesStructure": True},
                },
                "datasources": {"enabled": True, "label": DATASOURCE_LABEL, "labelValue": "1"},
            }
        },
    }


# A Service address in the cluster's DNS: <service>.<namespace>.svc[.cluster.local]:<port>.
_SERVICE_ADDRESS = re.compile(
    r"^(?P<service>[a-z0-9-]+)\.(?P<namespace>[a-z0-9-]+)\.svc(\.cluster\.local)?:(?P<port>\d+)$"
)


def render_blackbox_exporter_values(modules: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A values snippet for the prometheus-blackbox-exporter chart (kube-prometheus-stack ships
    no blackbox_exporter): the chart's own config takes our modules, and where `prober` is a
    Service address, the chart's Service gets its name and port (install it in its namespace)."""
    values: dict[str, Any] = {}
    address = _SERVICE_ADDRESS.match(settings.of(KUBERNETES_SETTINGS).prober)
    if address:
        values["fullnameOverride"] = address["service"]
        values["service"] = {"port": int(address["port"])}
    values["config"] = modules
    return values


def render_kustomization(resources: list[str]) -> dict[str, Any]:
    # No `namespace:` here: it would move the probe Service and the Role out of RAT's namespace.
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources}
