"""The `kubernetes` output: prometheus-operator resources (ServiceMonitor, PodMonitors, Probes, one
PrometheusRule per rule group), Alertmanager's configSecret, Grafana ConfigMaps and a
kustomization, for RAT on a cluster watched by kube-prometheus(-stack).

It loads its own variant of alerts/ and dashboards/: the settings as a cluster sees them
(`platform: kubernetes`, the probe Service as ratd's address, the stack's datasource uids, the
receivers' files where spec.secrets mounts them). Modules marked `PLATFORMS` pick their side.
Its section of monitoring.yaml is `kubernetes` (settings.py beside this file)."""

from __future__ import annotations

import functools
from pathlib import PurePosixPath
from typing import Any

import attrs

from monitoring_as_code.loader import load_alerting, load_dashboards
from monitoring_as_code.model import KUBERNETES
from monitoring_as_code.outputs import Output, Variant, preview_files, rule_test_files, runbook_previews
from monitoring_as_code.outputs.kubernetes.settings import SECTION
from monitoring_as_code.project import HEADER, Bundle, Project
from monitoring_as_code.render import kubernetes as k8s_render
from monitoring_as_code.render.alertmanager import render_cluster_alertmanager_config
from monitoring_as_code.render.blackbox import render_blackbox_config
from monitoring_as_code.render.grafana import render_dashboard
from monitoring_as_code.render.rules import render_rule_file
from monitoring_as_code.render.runbook import render_runbook
from monitoring_as_code.serialize import to_json, to_yaml
from monitoring_as_code.settings import Settings
from monitoring_as_code.stack import ALERTMANAGER_SECRETS
from monitoring_as_code.validate import kubernetes, promtool
from monitoring_as_code.validate.validators import Validators

NAME = "kubernetes"


@attrs.frozen
class KubernetesPaths:
    manifests: str = "kubernetes"  # every object, one per file, and the kustomization listing them
    tests: str = "kubernetes/promtool/tests"  # the scenarios, run on this variant's rules
    runbook: str = "kubernetes/docs/alerts.md"
    stack_values: str = "kubernetes/extras/kube-prometheus-stack-values.yaml"
    blackbox_values: str = "kubernetes/extras/prometheus-blackbox-exporter-values.yaml"
    previews: str = "kubernetes/grafana/previews"  # not a manifest: beside the ConfigMaps, for reviewers


PATHS = KubernetesPaths()


def variant_settings(settings: Settings) -> Settings:
    k8s = settings.of(SECTION)
    cluster = f"{k8s.rat_namespace}.svc"
    targets = attrs.evolve(
        settings.targets,
        ratd=f"{k8s.ratd_service}.{cluster}:{k8s_render.port_of(settings.targets.ratd)}",
        nessie=f"nessie.{cluster}:{k8s_render.port_of(settings.targets.nessie)}",
    )
    sources = settings.grafana.datasources
    grafana = attrs.evolve(
        settings.grafana,
        folder=k8s.grafana.folder,
        datasources=attrs.evolve(
            sources,
            prometheus=attrs.evolve(sources.prometheus, uid=k8s.grafana.prometheus_uid),
            alertmanager=attrs.evolve(sources.alertmanager, uid=k8s.grafana.alertmanager_uid),
        ),
    )
    mounted = f"{ALERTMANAGER_SECRETS}/{k8s.receiver_secret}"  # where spec.secrets mounts the Secret
    receivers = tuple(
        attrs.evolve(
            r,
            options={
                k: f"{mounted}/{PurePosixPath(v).name}" if k.endswith("_file") and v.strip() else v
                for k, v in r.options.items()
            },
        )
        for r in settings.alertmanager.receivers
    )
    # The variant's alerts have their own runbook (PATHS.runbook), beside the compose one.
    runbook = k8s.runbook_base_url or settings.runbook_base_url.replace("/docs/alerts.md", f"/{PATHS.runbook}")
    return attrs.evolve(
        settings,
        runbook_base_url=runbook,
        platform=KUBERNETES,
        targets=targets,
        grafana=grafana,
        alertmanager=attrs.evolve(settings.alertmanager, receivers=receivers),
    )


def load(project: Project, settings: Settings) -> Variant:
    cluster = variant_settings(settings)
    alerting = load_alerting(project.alerts, cluster)
    dashboards = load_dashboards(project.dashboards, cluster, (p.name for p in alerting.profiles))
    return Variant(cluster, alerting, dashboards)


def render(bundle: Bundle) -> dict[str, str]:
    variant: Variant = bundle.loaded[NAME]
    settings, defs = variant.settings, variant.alerting
    k8s = settings.of(SECTION)
    header = HEADER.format(source="alerts/, dashboards/ and monitoring.yaml")
    objects: dict[str, dict[str, Any]] = {}
    for job in defs.scrape_jobs:
        objects[f"servicemonitor-{job.name}.yaml"] = k8s_render.render_service_monitor(job, settings)
    for probe in defs.probes:
        if probe.each_pod:
            objects[f"podmonitor-probe-{probe.check}.yaml"] = k8s_render.render_pod_probe(probe, settings)
        else:
            objects[f"probe-{probe.check}.yaml"] = k8s_render.render_probe(probe, settings)
    modules = render_blackbox_config(defs)
    blackbox = to_yaml(modules)
    objects["configmap-blackbox.yaml"] = k8s_render.render_config_map(
        "rat-blackbox-modules", {k8s_render.BLACKBOX_CONFIG_KEY: blackbox}, settings
    )
    for group in defs.groups:
        spec = render_rule_file(group, settings)
        objects[f"prometheusrule-{group.name}.yaml"] = k8s_render.render_prometheus_rule(group, spec, settings)
    alertmanager = to_yaml(render_cluster_alertmanager_config(defs, settings))
    objects["secret-alertmanager.yaml"] = k8s_render.render_alertmanager_secret(alertmanager, settings)
    folder = {k8s_render.FOLDER_ANNOTATION: settings.grafana.folder}
    for dashboard in variant.dashboards:
        objects[f"configmap-dashboard-{dashboard.uid}.yaml"] = k8s_render.render_config_map(
            k8s_render.object_name("rat-dashboard", dashboard.uid),
            {f"{dashboard.uid}.json": to_json(render_dashboard(dashboard, settings))},
            settings,
            labels={k8s_render.DASHBOARD_LABEL: "1"},
            annotations=folder,
        )
    objects["configmap-grafana-datasources.yaml"] = k8s_render.render_config_map(
        "rat-grafana-datasources",
        {"rat-datasources.yaml": to_yaml(k8s_render.render_loki_datasource(settings))},
        settings,
        labels={k8s_render.DATASOURCE_LABEL: "1"},
    )
    for obj in k8s_render.render_rbac(settings):
        objects[f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"] = obj
    files = {f"{PATHS.manifests}/{name}": to_yaml(obj, header) for name, obj in objects.items()}
    files[f"{PATHS.manifests}/kustomization.yaml"] = to_yaml(k8s_render.render_kustomization(sorted(objects)), header)
    if k8s.kube_prometheus_stack_values:
        files[PATHS.stack_values] = to_yaml(k8s_render.render_stack_values(settings), header)
        if defs.probes:
            values = k8s_render.render_blackbox_exporter_values(modules, settings)
            files[PATHS.blackbox_values] = to_yaml(values, header)
    previews = runbook_previews(variant.dashboards, settings, PATHS.runbook, PATHS.previews)
    files[PATHS.runbook] = render_runbook(defs, settings, previews=previews)
    files.update(rule_test_files(defs, settings, PATHS.tests))
    files.update(preview_files(variant.dashboards, defs, settings, PATHS.previews))
    return files


def validators(project: Project, settings: Settings) -> Validators:
    bind, folder = functools.partial, PATHS.manifests
    return Validators(
        tools=(
            bind(kubernetes.check_rule_specs, folder=folder),
            bind(promtool.test_rules, folder=PATHS.tests),
            bind(kubernetes.check_alertmanager_secret, folder=folder, key=k8s_render.ALERTMANAGER_CONFIG_KEY),
        ),
        static=(
            bind(kubernetes.check_kustomization, folder=folder),
            bind(kubernetes.check_sizes, folder=folder),
            bind(kubernetes.check_core_kinds, folder=folder),
            bind(kubernetes.check_unique_keys, folder=folder),
            bind(kubernetes.check_probe_modules, folder=folder, config_key=k8s_render.BLACKBOX_CONFIG_KEY),
            bind(
                kubernetes.check_dashboard_previews,
                folder=folder,
                previews=PATHS.previews,
                label=k8s_render.DASHBOARD_LABEL,
            ),
        ),
    )


OUTPUT = Output(
    name=NAME, render=render, validators=validators, section=SECTION, load=load, variants=lambda variant: (variant,)
)
