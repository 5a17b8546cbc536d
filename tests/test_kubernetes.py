"""The kubernetes output on a copy with `outputs: [compose, kubernetes]`: both render and
validate; the custom resources pass prometheus-operator v0.93's CRD schemas (read in place from
../shared, as the operator's API server would check them); the rules are replica-correct; each
offline check refuses what it must, and passes its near miss."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import kubernetes_validate
import promql_parser
import pytest
import yaml

from alerts import minio, nessie
from alerts.ready_checks import DEPENDENCIES
from alerts.subsystems import SUBSYSTEMS
from monitoring_as_code import pipeline
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.lint.context import build_context
from monitoring_as_code.model import Alert
from monitoring_as_code.outputs import Variant
from monitoring_as_code.outputs.kubernetes import unit as kubernetes_output
from monitoring_as_code.outputs.kubernetes.settings import (
    IN_CLUSTER_SERVICES,
    BearerToken,
    KubernetesSettings,
    MonitoredService,
)
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.outputs.kubernetes.unit import PATHS
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.promql import parse_promql
from monitoring_as_code.render import kubernetes as k8s_render
from monitoring_as_code.render.runbook import routing_text
from monitoring_as_code.settings import Settings
from monitoring_as_code.validate import kubernetes as checks
from monitoring_as_code.validate import promtool
from tests.conftest import (
    GUIDE,
    PROFILES,
    PROJECT_PARTS,
    RATD_0_2,
    REPO,
    SHARED,
    MacRunner,
    set_outputs,
    set_profile,
    shared,
    tree_bytes,
)

SCHEMAS = SHARED / "schemas" / "prometheus-operator-v0.93.0"
MANIFESTS = PATHS.manifests


def copy_project(root: Path, profile: str, extra: str = "") -> Path:
    root.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__", "generated"))
        elif source.exists() and part != "generated":
            shutil.copy2(source, root / part)
    set_profile(root, profile)
    set_outputs(root, "compose", "kubernetes")
    with (root / "monitoring.yaml").open("a") as handle:
        handle.write(extra)
    return root


@pytest.fixture(scope="module", params=PROFILES)
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("k8s") / "project", request.param)
    pipeline.generate(pipeline.Project(root, root / "monitoring.yaml"))
    return root / "generated"


def opted_in(settings: Settings, services: tuple[str, ...] = IN_CLUSTER_SERVICES) -> Settings:
    """The settings with kubernetes.in_cluster listing `services`."""
    k8s = attrs.evolve(settings.of(KUBERNETES_SETTINGS), in_cluster=services)
    return settings.with_section(KUBERNETES_SETTINGS, k8s)


@pytest.fixture(scope="module")
def variants() -> dict[str, Variant]:
    """The kubernetes variant of the definitions, per profile, under the shipped settings with
    every opt-in service in the cluster (kubernetes.in_cluster): every alert a cluster can get."""
    project = pipeline.Project(REPO, REPO / "monitoring.yaml")
    return {p: kubernetes_output.load(project, opted_in(pipeline.load(project, profile=p).settings)) for p in PROFILES}


def objects(tree: Path) -> dict[str, dict[str, Any]]:
    return {Path(rel).name: obj for rel, obj in checks.objects(tree, MANIFESTS)}


def crd_schemas() -> Path:
    return shared(SCHEMAS, "prometheus-operator's CRD schemas")


# --- both outputs render and validate ----------------------------------------------------------


def test_both_outputs_render_validate_and_stay_in_sync(generated: Path, mac: MacRunner) -> None:
    assert (generated / "compose" / "docker-compose.monitoring.yml").is_file()
    kinds = {obj["kind"] for obj in objects(generated).values()}
    assert {"ServiceMonitor", "PodMonitor", "Probe", "PrometheusRule", "Secret", "ConfigMap"} <= kinds
    runbook = (generated / PATHS.runbook).read_text()
    for rule in (o for o in objects(generated).values() if o["kind"] == "PrometheusRule"):
        for alert in (r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r):
            base, anchor = alert["annotations"]["runbook_url"].split("#")
            assert base.endswith(f"/{PATHS.runbook}")
            assert anchor == alert["alert"].lower() and f"## {alert['alert']}" in runbook
    for command in ("check", "validate"):
        result = mac(generated.parent, command)
        assert result.exit_code == 0, result.output


def test_generated_has_kubernetes_files_exactly_when_the_settings_enable_it() -> None:
    enabled = "kubernetes" in load_settings(REPO / "monitoring.yaml").outputs
    assert (REPO / "generated" / MANIFESTS).is_dir() == enabled


def test_custom_resources_pass_the_operators_crd_schemas(generated: Path) -> None:
    checks.check_custom_resources(generated, MANIFESTS, crd_schemas())


def test_a_field_the_crd_lacks_is_refused(generated: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(generated / MANIFESTS, tree / MANIFESTS)
    path = tree / MANIFESTS / "servicemonitor-ratd.yaml"
    monitor = yaml.safe_load(path.read_text())
    monitor["spec"]["endpoints"][0]["scrapeEvery"] = "15s"
    path.write_text(yaml.safe_dump(monitor))
    with pytest.raises(DefinitionError, match="scrapeEvery"):
        checks.check_custom_resources(tree, MANIFESTS, crd_schemas())


def test_a_rule_group_twice_in_one_spec_is_a_duplicate_list_map_key(generated: Path) -> None:
    schema = checks._crd_schema(crd_schemas(), "monitoring.coreos.com/v1", "PrometheusRule")
    rule = next(o for o in objects(generated).values() if o["kind"] == "PrometheusRule")
    assert checks.list_map_duplicates(rule, schema, {}) == []  # the near miss: as generated
    doubled = copy.deepcopy(rule)
    doubled["spec"]["groups"].append(copy.deepcopy(doubled["spec"]["groups"][0]))
    found = checks.list_map_duplicates(doubled, schema, {})
    assert found == [f"spec.groups: name {rule['spec']['groups'][0]['name']} twice"]


# --- the offline checks mac generate runs refuse what they must --------------------------------


def edited(generated: Path, tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None]) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(generated / MANIFESTS, tree / MANIFESTS)
    path = tree / MANIFESTS / name
    obj = yaml.safe_load(path.read_text())
    change(obj)
    path.write_text(yaml.safe_dump(obj))
    return tree


def test_core_kinds_are_checked_strictly(generated: Path, tmp_path: Path) -> None:
    """Our cached validators over kubernetes-validate's schemas agree with its own validate()."""
    checks.check_core_kinds(generated, MANIFESTS)
    for _, obj in checks.objects(generated, MANIFESTS):
        if not obj["apiVersion"].startswith(checks.CUSTOM_GROUP):
            kubernetes_validate.validate(obj, checks.KUBERNETES_VERSION, strict=True)
    tree = edited(generated, tmp_path, "configmap-blackbox.yaml", lambda o: o.update(immutabel=True))
    with pytest.raises(DefinitionError, match="immutabel"):
        checks.check_core_kinds(tree, MANIFESTS)
    broken = yaml.safe_load((tree / MANIFESTS / "configmap-blackbox.yaml").read_text())
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, checks.KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("probe-service.yaml", lambda o: o["spec"].update(module="http_3xx")),
        (
            "podmonitor-probe-live.yaml",
            lambda o: o["spec"]["podMetricsEndpoints"][0]["params"].update(module=["http_3xx"]),
        ),
    ],
)
def test_every_probe_module_is_shipped(
    generated: Path, tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None]
) -> None:
    checks.check_probe_modules(generated, MANIFESTS, "blackbox.yml")
    tree = edited(generated, tmp_path, name, change)
    with pytest.raises(DefinitionError, match="module 'http_3xx' is not in the shipped blackbox config"):
        checks.check_probe_modules(tree, MANIFESTS, "blackbox.yml")


def test_an_object_over_the_apply_annotation_limit_is_refused(generated: Path, tmp_path: Path) -> None:
    checks.check_sizes(generated, MANIFESTS)
    big = "x" * checks.MAX_OBJECT_BYTES
    tree = edited(generated, tmp_path, "configmap-blackbox.yaml", lambda o: o["data"].update(padding=big))
    with pytest.raises(DefinitionError, match="over the 262144 client-side `kubectl apply`"):
        checks.check_sizes(tree, MANIFESTS)


def test_the_kustomization_lists_every_manifest(generated: Path, tmp_path: Path) -> None:
    checks.check_kustomization(generated, MANIFESTS)
    tree = tmp_path / "tree"
    shutil.copytree(generated / MANIFESTS, tree / MANIFESTS)
    (tree / MANIFESTS / "probe-service.yaml").unlink()
    with pytest.raises(DefinitionError, match=r"absent \['probe-service.yaml'\]"):
        checks.check_kustomization(tree, MANIFESTS)


def test_promtool_checks_every_rule_spec(generated: Path, tmp_path: Path) -> None:
    checks.check_rule_specs(generated, MANIFESTS)

    def break_expr(rule: dict[str, Any]) -> None:
        rule["spec"]["groups"][0]["rules"][0]["expr"] = "up ==== 0"

    tree = edited(generated, tmp_path, "prometheusrule-replicas.yaml", break_expr)
    with pytest.raises(DefinitionError, match="promtool check rules failed"):
        checks.check_rule_specs(tree, MANIFESTS)


def test_unique_keys_without_a_schema(generated: Path, tmp_path: Path) -> None:
    checks.check_unique_keys(generated, MANIFESTS)
    rules = sorted(n for n, o in objects(generated).items() if o["kind"] == "PrometheusRule")

    def same_group(rule: dict[str, Any]) -> None:
        rule["spec"]["groups"][0]["name"] = objects(generated)[rules[0]]["spec"]["groups"][0]["name"]

    tree = edited(generated, tmp_path, rules[1], same_group)
    with pytest.raises(DefinitionError, match=r"rule group .* is also in"):
        checks.check_unique_keys(tree, MANIFESTS)


# --- what the objects say -------------------------------------------------------------------------


def test_each_ratd_pod_is_probed_and_the_service_as_users_reach_it(generated: Path) -> None:
    """Every ratd probe is a PodMonitor (service discovery, role pod: every pod, ready or not),
    relabelled to the blackbox_exporter with the pod's own address as the target; the Service
    users reach and Nessie are static Probes."""
    found = objects(generated)
    per_pod = {n: o for n, o in found.items() if o["kind"] == "PodMonitor"}
    assert {"podmonitor-probe-live.yaml", "podmonitor-probe-ready.yaml"} <= set(per_pod)
    for monitor in per_pod.values():
        assert monitor["spec"]["selector"] == {"matchLabels": {"app": "ratd"}}
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["rat"]}
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        assert (endpoint["portNumber"], endpoint["path"]) == (8080, "/probe")
        target, instance, address, job, check = endpoint["relabelings"]
        assert target["sourceLabels"] == ["__address__"] and target["targetLabel"] == "__param_target"
        assert re.fullmatch(r"http://\$\{1\}/health(/ready|/live)?", target["replacement"])
        assert instance == {"sourceLabels": ["__param_target"], "targetLabel": "instance"}
        assert address == {
            "targetLabel": "__address__",
            "replacement": "prometheus-blackbox-exporter.monitoring.svc:9115",
        }
        assert job == {"targetLabel": "job", "replacement": "rat-probes"}
        assert check["targetLabel"] == "check"
    static = {
        o["spec"]["targets"]["staticConfig"]["labels"]["check"]: o for o in found.values() if o["kind"] == "Probe"
    }
    assert set(static) == {"service"}  # Nessie's Probe only with kubernetes.in_cluster: [nessie]
    for probe in static.values():
        config = probe["spec"]["targets"]["staticConfig"]
        assert probe["spec"]["jobName"] == "rat-probes"
        assert set(config["labels"]) == {"check", "namespace"}
    assert static["service"]["spec"]["targets"]["staticConfig"]["static"] == ["http://ratd.rat.svc:8080/health/live"]
    assert not any(o["kind"] == "Service" for o in found.values())  # no probe Service any more


def test_grafana_gets_dashboards_and_only_the_datasource_it_lacks(generated: Path) -> None:
    found = objects(generated)
    dashboards = [o for o in found.values() if o["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    assert len(dashboards) == 4  # overview, logs, SLOs, Postgres
    for config_map in dashboards:
        assert config_map["metadata"]["annotations"] == {"grafana_folder": "RAT"}
        (text,) = config_map["data"].values()
        presets = {
            v["query"]: v["current"]["value"]
            for v in json.loads(text)["templating"]["list"]
            if v["type"] == "datasource"
        }
        # The stack's Prometheus datasource (not ours), and the Loki one we provision.
        assert set(presets.items()) <= {("prometheus", "prometheus"), ("loki", "rat-loki")}
    (sources,) = (o for o in found.values() if o["metadata"]["labels"].get("grafana_datasource") == "1")
    provisioned = yaml.safe_load(next(iter(sources["data"].values())))["datasources"]
    assert [(s["type"], s["isDefault"]) for s in provisioned] == [("loki", False)]


def test_alertmanager_reads_receiver_files_where_spec_secrets_mounts_them(generated: Path) -> None:
    secret = objects(generated)["secret-alertmanager.yaml"]
    config = yaml.safe_load(secret["stringData"]["alertmanager.yaml"])
    files = [v for r in config["receivers"] for c in r.values() if isinstance(c, list) for v in _files(c)]
    assert files and all(f.startswith("/etc/alertmanager/secrets/alertmanager-rat-receivers/") for f in files)
    values = yaml.safe_load((generated / PATHS.stack_values).read_text())
    assert values["alertmanager"]["alertmanagerSpec"] == {
        "configSecret": "alertmanager-rat",
        "secrets": ["alertmanager-rat-receivers"],
    }


def _files(configs: list[Any]) -> list[str]:
    out: list[str] = []
    for item in configs:
        if isinstance(item, dict):
            for key, value in item.items():
                if key.endswith("_file"):
                    out.append(value)
                elif isinstance(value, dict):
                    out += _files([value])
    return out


def test_selectors_labels_and_rbac_follow_the_settings(tmp_path: Path) -> None:
    extra = (
        "kubernetes:\n"
        "  namespace: observability\n"
        "  rat_namespace: rat-prod\n"
        "  ratd_selector: {app.kubernetes.io/name: ratd}\n"
        "  ratd_port: metrics\n"
        "  labels:\n"
        "    PrometheusRule: {release: prom}\n"
        "    all: {team: data}\n"
        "  rbac_for: monitoring/prometheus-k8s\n"
    )
    root = copy_project(tmp_path / "project", RATD_0_2, extra)
    pipeline.generate(pipeline.Project(root, root / "monitoring.yaml"))
    found = objects(root / "generated")
    monitor = found["servicemonitor-ratd.yaml"]
    assert monitor["metadata"]["namespace"] == "observability"
    assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "ratd"}}
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["rat-prod"]}
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["endpoints"][0]["relabelings"] == [
        {"action": "replace", "targetLabel": "job", "replacement": "ratd"}
    ]
    exporter = found["servicemonitor-postgres-exporter.yaml"]["spec"]  # the defaults of kubernetes.monitors
    assert exporter["selector"] == {"matchLabels": {"app": "postgres-exporter"}}
    assert exporter["namespaceSelector"] == {"matchNames": ["rat-prod"]}
    assert exporter["endpoints"][0]["port"] == "metrics"
    rule = found["prometheusrule-replicas.yaml"]
    assert rule["metadata"]["labels"] == {
        "app.kubernetes.io/part-of": "rat-monitoring",
        "team": "data",
        "release": "prom",
    }
    assert 'namespace="rat-prod"' in rule["spec"]["groups"][0]["rules"][0]["expr"]
    role, binding = (
        found["role-rat-monitoring-prometheus-k8s.yaml"],
        found["rolebinding-rat-monitoring-prometheus-k8s.yaml"],
    )
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "rat-prod"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "prometheus-k8s", "namespace": "monitoring"}]
    checks.check_custom_resources(root / "generated", MANIFESTS, crd_schemas())


def test_an_exporters_scrape_job_becomes_a_service_monitor_as_the_settings_place_it(tmp_path: Path) -> None:
    """Generic: any scrape job but ratd's is a ServiceMonitor of the Service kubernetes.monitors
    names for it, scraped as compose scrapes it (interval, timeout) and keeping its job name."""
    extra = (
        "kubernetes:\n"
        "  monitors:\n"
        "    postgres-exporter: {selector: {app.kubernetes.io/name: prometheus-postgres-exporter}, port: http,"
        " namespace: databases}\n"
    )
    root = copy_project(tmp_path / "project", RATD_0_2, extra)
    pipeline.generate(pipeline.Project(root, root / "monitoring.yaml"))
    monitor = objects(root / "generated")["servicemonitor-postgres-exporter.yaml"]
    assert monitor["metadata"]["name"] == "rat-postgres-exporter"
    spec = monitor["spec"]
    assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus-postgres-exporter"}}
    assert spec["namespaceSelector"] == {"matchNames": ["databases"]}
    (endpoint,) = spec["endpoints"]
    compose = yaml.safe_load((root / "generated/prometheus/prometheus.yml").read_text())
    (job,) = (j for j in compose["scrape_configs"] if j["job_name"] == "postgres-exporter")
    assert (endpoint["interval"], endpoint.get("scrapeTimeout")) == (job["scrape_interval"], job.get("scrape_timeout"))
    assert (endpoint["port"], endpoint["path"]) == ("http", job["metrics_path"])
    assert endpoint["relabelings"] == [{"action": "replace", "targetLabel": "job", "replacement": "postgres-exporter"}]
    checks.check_custom_resources(root / "generated", MANIFESTS, crd_schemas())
    (root / "monitoring.yaml").write_text(
        (root / "monitoring.yaml").read_text() + "    ratd: {selector: {app: ratd}, port: http}\n"
    )
    with pytest.raises(DefinitionError, match="ratd"):  # ratd's Service is ratd_selector and ratd_port
        load_settings(root / "monitoring.yaml")


# --- MinIO and Nessie: on a cluster only when kubernetes.in_cluster lists them ----------------------


def service_alerts(settings: Settings) -> set[str]:
    """The alerts of MinIO's and Nessie's own metrics (alerts/minio.py, alerts/nessie.py), as compose has them."""
    return {o.name for module in (minio, nessie) for o in module.define(settings) if isinstance(o, Alert)}


def runbook_section(runbook: str, alert: str) -> str:
    start = runbook.index(f"## {alert}\n")
    end = runbook.find("\n## ", start + 1)
    return runbook[start : end if end > 0 else len(runbook)]


def test_minio_and_nessie_stay_off_the_cluster_unless_opted_in(generated: Path) -> None:
    """No kubernetes.in_cluster (a managed S3 and catalog): no ServiceMonitor, Probe, rule group,
    dashboard, scenario or runbook entry of MinIO or Nessie; ratd's own S3 check stays, pointing
    at the managed service rather than at pods that are not there."""
    settings = load_settings(generated.parent / "monitoring.yaml")
    assert settings.of(KUBERNETES_SETTINGS).in_cluster == ()
    found = objects(generated)
    # A PodMonitor probes ratd's pods: the guide's minio and nessie checks are ratd's own, as RatS3Down is.
    assert not [name for name in found if re.search("minio|nessie", name) and found[name]["kind"] != "PodMonitor"]
    for obj in found.values():
        if obj["kind"] == "Probe":
            assert not any("nessie" in t for t in obj["spec"]["targets"]["staticConfig"]["static"])
        if obj["kind"] == "PrometheusRule":
            for rule in (r for g in obj["spec"]["groups"] for r in g["rules"]):
                assert not re.search(r'job="(minio|nessie)"', rule["expr"]), rule
    runbook = (generated / PATHS.runbook).read_text()
    ours = service_alerts(settings) | ({"RatNessieDown"} if settings.profile == RATD_0_2 else set())
    tests = {t.stem for t in (generated / PATHS.tests).glob("*.yml")}
    for name in ours:
        assert f"## {name}\n" not in runbook and name not in tests, name
        assert f"## {name}\n" in (generated / "docs" / "alerts.md").read_text(), name  # compose keeps it
    s3 = runbook_section(runbook, "RatS3Down" if settings.profile == RATD_0_2 else "RatMinioDown")
    assert "kubernetes.in_cluster does not list it" in s3 and "app=minio" not in s3


# Two placements, one per profile: the defaults, and every key of the services' monitors set.
IN_CLUSTER = {
    "defaults": (RATD_0_2, "kubernetes:\n  in_cluster: [minio, nessie]\n"),
    "placed": (
        GUIDE,
        "kubernetes:\n"
        "  rat_namespace: rat-prod\n"
        "  in_cluster: [nessie, minio]\n"
        "  monitors:\n"
        "    minio: {selector: {app.kubernetes.io/name: minio}, port: s3-api, namespace: storage,"
        " bearer_token: {secret: s3-metrics, key: jwt}}\n"
        "    nessie: {port: management}\n",
    ),
}


@pytest.fixture(scope="module", params=sorted(IN_CLUSTER))
def in_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with both outputs and MinIO and Nessie in the cluster, generated."""
    profile, extra = IN_CLUSTER[request.param]
    root = copy_project(tmp_path_factory.mktemp("in-cluster") / "project", profile, extra)
    pipeline.generate(pipeline.Project(root, root / "monitoring.yaml"))
    return root


def test_the_services_monitors_default_to_their_documented_shapes() -> None:
    k8s = KubernetesSettings()
    assert k8s.in_cluster == ()
    minio_place = MonitoredService({"app": "minio"}, "http", "rat", BearerToken("minio-prometheus-token", "token"))
    assert k8s.monitor_of("minio") == minio_place
    assert k8s.monitor_of("nessie").port == "nessie-mgmt"
    assert k8s.monitor_of("postgres-exporter").port == "metrics"  # unchanged for the exporter


def test_opted_in_services_are_service_monitors_where_the_settings_place_them(
    in_cluster: Path, mac: MacRunner, tmp_path: Path
) -> None:
    """Each is scraped as compose scrapes it (path, interval), from the Service kubernetes.monitors
    places; MinIO's bearer token comes from the Secret its monitor names, in the ServiceMonitor's
    own namespace (where the operator reads it), and the manifests pass v0.93's strict schemas."""
    k8s = load_settings(in_cluster / "monitoring.yaml").of(KUBERNETES_SETTINGS)
    generated = in_cluster / "generated"
    found = objects(generated)
    compose = yaml.safe_load((generated / "prometheus/prometheus.yml").read_text())
    for job in IN_CLUSTER_SERVICES:
        place = k8s.monitor_of(job)
        (scrape,) = (j for j in compose["scrape_configs"] if j["job_name"] == job)
        spec = found[f"servicemonitor-{job}.yaml"]["spec"]
        assert spec["selector"] == {"matchLabels": dict(place.selector or {})}
        assert spec["namespaceSelector"] == {"matchNames": [place.namespace]}
        (endpoint,) = spec["endpoints"]
        assert (endpoint["port"], endpoint["path"]) == (place.port, scrape["metrics_path"])
        assert endpoint["interval"] == scrape["scrape_interval"]
        assert endpoint["relabelings"] == [{"action": "replace", "targetLabel": "job", "replacement": job}]
        token = place.bearer_token
        assert token is not None
        bearer = {"type": "Bearer", "credentials": {"name": token.secret, "key": token.key}}
        assert endpoint.get("authorization") == (bearer if "authorization" in scrape else None)
    assert "authorization" in found["servicemonitor-minio.yaml"]["spec"]["endpoints"][0]
    checks.check_custom_resources(generated, MANIFESTS, crd_schemas())

    def token_as_a_file(monitor: dict[str, Any]) -> None:  # compose's shape, which the CRD lacks
        monitor["spec"]["endpoints"][0]["authorization"]["credentialsFile"] = "/run/secrets/minio_prometheus_token"

    tree = edited(generated, tmp_path, "servicemonitor-minio.yaml", token_as_a_file)
    with pytest.raises(DefinitionError, match="credentialsFile"):
        checks.check_custom_resources(tree, MANIFESTS, crd_schemas())
    result = mac(in_cluster, "check")  # every validator, and promtool runs the services' scenarios
    assert result.exit_code == 0, result.output


def test_opted_in_alerts_reach_the_clusters_rules_with_cluster_commands(in_cluster: Path) -> None:
    settings = load_settings(in_cluster / "monitoring.yaml")
    k8s = settings.of(KUBERNETES_SETTINGS)
    generated = in_cluster / "generated"
    rules = {
        rule["alert"]: rule
        for obj in objects(generated).values()
        if obj["kind"] == "PrometheusRule"
        for rule in (r for g in obj["spec"]["groups"] for r in g["rules"])
        if "alert" in rule
    }
    runbook, compose_runbook = (generated / PATHS.runbook).read_text(), (generated / "docs/alerts.md").read_text()
    tests = {t.stem for t in (generated / PATHS.tests).glob("*.yml")}
    alerts = service_alerts(settings)
    assert {"RatMinioS3Errors", "RatNessieHeapHigh"} <= alerts
    for name in alerts:
        job = "minio" if name.startswith("RatMinio") else "nessie"
        assert f'job="{job}"' in rules[name]["expr"] and name in tests, name
        section = runbook_section(runbook, name)
        assert "docker" not in section and f"kubectl -n {k8s.monitor_of(job).namespace} " in section, name
        assert "`docker compose " in runbook_section(compose_runbook, name), name
    if settings.profile == RATD_0_2:  # Nessie's API probe follows the opt-in too
        assert "RatNessieDown" in rules and "probe-nessie.yaml" in objects(generated)


@pytest.mark.parametrize("services", [("minio",), ("nessie",)])
def test_each_service_is_opted_in_on_its_own(services: tuple[str, ...]) -> None:
    project = pipeline.Project(REPO, REPO / "monitoring.yaml")
    variant = kubernetes_output.load(project, opted_in(pipeline.load(project, profile=RATD_0_2).settings, services))
    defs = variant.alerting
    assert {j.name for j in defs.scrape_jobs} & set(IN_CLUSTER_SERVICES) == set(services)
    assert ("nessie" in {p.check for p in defs.probes}) == ("nessie" in services)
    names = {a.name for a in defs.alerts}
    assert any(n.startswith("RatMinio") for n in names) == ("minio" in services)
    assert any(n.startswith("RatNessie") for n in names) == ("nessie" in services)
    (dashboard,) = (d for d in variant.dashboards if d.uid == "rat-minio-nessie")
    drawn = {"minio": "MinIO", "nessie": "Nessie"}[services[0]]
    assert dashboard.panels and all(drawn in panel.title for panel in dashboard.panels)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[minio, s3]", "settings kubernetes.in_cluster: unknown service 's3' (known: minio, nessie)"),
        ("[nessie, nessie]", "settings kubernetes.in_cluster: ['nessie', 'nessie'] has non-unique elements"),
    ],
)
def test_an_unknown_in_cluster_service_is_refused(tmp_path: Path, mac: MacRunner, value: str, message: str) -> None:
    root = copy_project(tmp_path / "project", RATD_0_2, f"kubernetes:\n  in_cluster: {value}\n")
    before = tree_bytes(root / "generated")
    result = mac(root, "generate")
    assert result.exit_code == 2, result.output
    assert re.fullmatch(rf"error: \S*monitoring\.yaml: {re.escape(message)}\n", result.stderr), result.stderr
    assert tree_bytes(root / "generated") == before


# --- the rules are replica-correct ------------------------------------------------------------------


def _selectors(expr: str) -> list[Any]:

    found: list[Any] = []
    promql_parser.walk(
        parse_promql(expr), lambda n: found.append(n) if isinstance(n, promql_parser.VectorSelector) else None
    )
    return found


@pytest.mark.parametrize("profile", PROFILES)
def test_every_expression_keeps_or_filters_namespace(variants: dict[str, Variant], profile: str) -> None:
    variant = variants[profile]
    defs = variant.alerting
    context = build_context(variant.settings, defs.catalog, defs.recording_rules)
    for rule in (*defs.alerts, *defs.recording_rules):
        labels = context.analysis(rule.expr).labels
        filtered = all(
            any(m.name == "namespace" for m in s.matchers.matchers) or ":" in (s.name or "")
            for s in _selectors(rule.expr)
        )
        assert (labels is not None and "namespace" in labels) or filtered, f"{rule.name}: {rule.expr}"


@pytest.mark.parametrize("profile", PROFILES)
def test_every_alert_carries_rats_namespace(variants: dict[str, Variant], profile: str) -> None:
    """Alertmanager routes RAT's alerts by their `namespace` (test_cluster_alerts_...): every alert
    of the variant keeps it (absent() keeps the label its equality matchers set)."""
    variant = variants[profile]
    defs = variant.alerting
    context = build_context(variant.settings, defs.catalog, defs.recording_rules)
    for alert in defs.alerts:
        labels = context.analysis(alert.expr).labels
        assert labels is not None and "namespace" in labels, f"{alert.name}: {alert.expr}"


@pytest.mark.parametrize("profile", PROFILES)
def test_api_down_means_every_replica_and_alone_mutes_what_depends_on_ratd(
    variants: dict[str, Variant], profile: str
) -> None:
    defs = variants[profile].alerting
    alerts = {a.name: a for a in defs.alerts}
    down, one = alerts["RatApiDown"], alerts["RatApiReplicaDown"]
    assert (down.severity, one.severity) == ("critical", "warning")
    assert "sum by (namespace, job)" in down.expr and "absent(" in down.expr
    assert one.labels == {"depends_on": "ratd"}
    muting = [i for i in defs.inhibitions if 'depends_on="ratd"' in i.target]
    assert [i.source for i in muting] == [('alertname="RatApiDown"',)]
    assert all("namespace" in i.equal for i in defs.inhibitions)
    fires = {s.name for s in down.scenarios if s.fires}
    assert {"fires when every replica is down", "fires when the ServiceMonitor finds no replica"} <= fires
    assert any(not s.fires and "one replica of two" in s.name for s in down.scenarios)


def _pod_pairs(defs: Any) -> list[tuple[Any, Any]]:
    """(every pod's alert, one pod's ticket) of each dependency ratd reports."""
    alerts = {a.name: a for a in defs.alerts}
    return [(a, alerts[f"{a.name}OnPod"]) for a in defs.alerts if f"{a.name}OnPod" in alerts]


def test_each_pod_is_probed_as_often_as_compose_probes_ratd(generated: Path) -> None:
    """A check's PodMonitor runs at that check's interval in compose's prometheus.yml (the
    dependency checks every intervals.dependency_probe), so a ratd pod logs no more of our
    requests than compose's ratd does."""
    config = yaml.safe_load((generated / "prometheus" / "prometheus.yml").read_text())
    compose = {
        target["labels"]["check"]: job["scrape_interval"]
        for job in config["scrape_configs"]
        for target in job.get("static_configs", [])
        if "check" in target.get("labels", {})
    }
    per_pod = {
        o["spec"]["podMetricsEndpoints"][0]["relabelings"][-1]["replacement"]: o["spec"]["podMetricsEndpoints"][0]
        for o in objects(generated).values()
        if o["kind"] == "PodMonitor" and o["metadata"]["name"].startswith("rat-probe-")
    }
    assert per_pod
    for check, endpoint in per_pod.items():
        assert endpoint["interval"] == compose[check], check


@pytest.mark.parametrize("profile", PROFILES)
def test_a_dependency_one_pod_fails_is_a_ticket_naming_it_and_every_pod_failing_is_one_alert(
    variants: dict[str, Variant], profile: str
) -> None:
    defs = variants[profile].alerting
    pairs = _pod_pairs(defs)
    reported = DEPENDENCIES if profile == RATD_0_2 else SUBSYSTEMS
    assert {every.name for every, _ in pairs} == {d.alert for d in reported}  # every check ratd reports
    for every, one in pairs:
        assert every.labels == {"depends_on": "ratd", "pods": "all"}
        assert (one.severity, one.labels) == ("warning", {"depends_on": "ratd", "pods": "one"})
        assert every.expr.startswith("max by (namespace, job, check) (") and every.expr.endswith(") == 0")
        assert "and on (namespace, job, pod)" in every.expr and "and on (namespace, job, pod)" in one.expr
        assert "{{ $labels.pod }}" in one.summary and "{{ $labels.pod }}" in one.description
        assert every.for_ == one.for_
        fired_one = [f.labels for s in one.scenarios for f in s.fires]
        fired_every = [f.labels for s in every.scenarios for f in s.fires]
        assert fired_one and all(f["pod"] == "ratd-a" for f in fired_one)
        assert fired_every and all("pod" not in f for f in fired_every)  # one alert, not one per pod
        names = {s.name for s in every.scenarios if not s.fires}
        assert "silent while one pod of two fails" in names
        assert "silent while the pods fail in turn (one recovering as the other fails)" in names
        if one.for_ > 0:  # more than one failure in a row: a pod failing every other probe is a near miss
            assert any("in turn" in s.name and not s.fires for s in one.scenarios)
        # No text copied between the two, nor with compose: one Dependency row makes all three.
        assert one.runbook.meaning.startswith(every.runbook.meaning)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_pod_failing_mutes_its_tickets_and_explains_an_empty_service(
    variants: dict[str, Variant], profile: str
) -> None:
    defs = variants[profile].alerting
    inhibitions = {i.name: i for i in defs.inhibitions}
    per_pod = inhibitions["every-pod-over-one-pod"]
    assert per_pod.equal == ("namespace", "check")
    for every, one in _pod_pairs(defs):
        every_labels = {"alertname": every.name, "namespace": "rat", **every.static_labels}
        one_labels = {"alertname": one.name, "namespace": "rat", **one.static_labels}
        assert all(_matches(m, every_labels) for m in per_pod.source)
        assert all(_matches(m, one_labels) for m in per_pod.target)
        assert not all(_matches(m, every_labels) for m in per_pod.target)
    empty = inhibitions["dependency-over-empty-service"]
    pages = [e for e, _ in _pod_pairs(defs) if e.severity == "critical"]
    assert pages and all(
        all(_matches(m, {"alertname": p.name, **p.static_labels}) for m in empty.source) for p in pages
    )
    tickets = [o for _, o in _pod_pairs(defs)] + [e for e, _ in _pod_pairs(defs) if e.severity != "critical"]
    assert not any(all(_matches(m, {"alertname": t.name, **t.static_labels}) for m in empty.source) for t in tickets)


def test_a_service_with_no_ready_pod_pages_though_up_is_green(variants: dict[str, Variant]) -> None:
    for variant in variants.values():
        alerts = {a.name: a for a in variant.alerting.alerts}
        empty = alerts["RatApiNoReadyEndpoint"]
        assert empty.severity == "critical" and "depends_on" not in empty.labels
        assert (
            'kube_endpoint_address{job="kube-state-metrics",namespace="rat",endpoint="ratd",ready="true"}' in empty.expr
        )
        (fires,) = (s for s in empty.scenarios if s.fires)
        assert any(k.startswith("up{") and v.startswith("1x") for k, v in fires.series.items())
        assert any("in turn" in s.name and not s.fires for s in empty.scenarios)


def test_the_availability_slo_reads_the_service_users_reach(variants: dict[str, Variant]) -> None:
    """One pod of two down is no outage users see (the Service drops it); the per-pod probes
    would burn half the budget."""
    for variant in variants.values():
        (availability,) = (slo for _, slo in variant.alerting.slos if slo.name == "api-availability")
        assert availability.sli.selector == 'probe_success{job="rat-probes",check="service"}'
    compose = pipeline.load(pipeline.Project(REPO, REPO / "monitoring.yaml")).alerting
    (availability,) = (slo for _, slo in compose.slos if slo.name == "api-availability")
    assert availability.sli.selector == 'probe_success{job="rat-probes",check="live"}'


@pytest.mark.parametrize("profile", PROFILES)
def test_container_series_are_kubelets_cadvisor_per_pod(variants: dict[str, Variant], profile: str) -> None:
    defs = variants[profile].alerting
    reading = [r for r in (*defs.alerts, *defs.recording_rules) if "container_memory_working_set_bytes" in r.expr]
    assert reading
    for rule in reading:
        assert 'job="kubelet",metrics_path="/metrics/cadvisor"' in rule.expr
    (pressure,) = (a for a in defs.alerts if a.name == "RatContainerMemoryPressure")
    assert "by (namespace, pod, container)" in pressure.expr and "kube_pod_container_resource_limits" in pressure.expr
    # The dashboards' container panels read the same recording rules as on compose, per namespace.
    recorded = {r.name: r.expr for r in defs.recording_rules}
    assert all("sum by (namespace, service)" in recorded[name] for name in recorded if name.startswith("service:"))


def test_scheduler_leader_alerts_serve_ratd_0_2_only(variants: dict[str, Variant]) -> None:
    names = {profile: {a.name for a in v.alerting.alerts} for profile, v in variants.items()}
    leader = {"RatSchedulerNoLeader", "RatSchedulerMultipleLeaders"}
    assert leader <= names[RATD_0_2]
    assert not leader & set().union(*(n for p, n in names.items() if p != RATD_0_2))
    for alert in variants[RATD_0_2].alerting.alerts:
        if alert.name in leader:
            assert any(s.fires for s in alert.scenarios)
            assert any("failover" in s.name and not s.fires for s in alert.scenarios)


def test_scheduler_rate_survives_a_failover(variants: dict[str, Variant]) -> None:
    rules = {r.name: r.expr for r in variants[RATD_0_2].alerting.recording_rules}
    dispatched = [e for n, e in rules.items() if "dispatched" in n]
    assert dispatched and all("sum_over_time" in e and "count_over_time" in e for e in dispatched)


def test_the_kubernetes_scenarios_ran_with_promtool(generated: Path) -> None:
    tests = sorted((generated / PATHS.tests).glob("*.yml"))
    assert {"RatApiDown.yml", "RatApiReplicaDown.yml", "RatHealthProbesBlind.yml"} <= {t.name for t in tests}
    before = tree_bytes(generated)

    promtool.test_rules(generated, PATHS.tests)
    assert tree_bytes(generated) == before


def test_platforms_pick_each_side(variants: dict[str, Variant]) -> None:
    bundle = pipeline.load(pipeline.Project(REPO, REPO / "monitoring.yaml"))
    compose = {a.name for a in bundle.alerting.alerts}
    cluster = {a.name for a in variants[bundle.settings.profile].alerting.alerts}
    assert {"RatHostDiskFull", "Watchdog"} <= compose - cluster  # host, meta: compose only
    assert {"RatApiReplicaDown"} <= cluster - compose  # replicas.py: kubernetes only
    assert {"RatApiDown", "RatHealthProbesBlind"} <= compose & cluster  # each side's own definition
    jobs = {j.name for j in variants[bundle.settings.profile].alerting.scrape_jobs}
    assert jobs == {"ratd", "postgres-exporter", "minio", "minio-node", "nessie"}  # MinIO's and Nessie's: opted in
    assert "RatMinioS3Errors" in compose & cluster  # minio.py: both, from one definition, when opted in
    assert "RatPostgresConnectionsExhausted" in compose & cluster  # postgres.py: both, from one definition
    assert "RatPostgresDiskFilling" in compose - cluster  # a node's filesystem: compose only


def test_lint_judges_the_kubernetes_variant_too(tmp_path: Path, mac: MacRunner) -> None:
    root = copy_project(tmp_path / "project", RATD_0_2)
    pipeline.generate(pipeline.Project(root, root / "monitoring.yaml"))
    before = tree_bytes(root / "generated")
    path = root / "alerts" / "replicas.py"
    path.write_text(path.read_text().replace('expr=f"{up} == 0",', 'expr=f"ratd_upp{{{ratd}}} == 0",', 1))
    result = mac(root, "generate")
    assert result.exit_code == 2, result.output
    assert "alerts/replicas.py: alert RatApiReplicaDown: metric 'ratd_upp' is not in the catalog" in result.output
    assert tree_bytes(root / "generated") == before


# --- Alertmanager: RAT is one tenant of the cluster's Alertmanager ----------------------------------


def alertmanager_config(generated: Path, tmp_path: Path) -> Path:
    """The configSecret's alertmanager.yaml, as a file amtool reads."""
    secret = objects(generated)["secret-alertmanager.yaml"]
    path = tmp_path / "alertmanager.yaml"
    path.write_text(secret["stringData"][k8s_render.ALERTMANAGER_CONFIG_KEY])
    return path


def amtool_route(config: Path, labels: dict[str, str]) -> str:
    result = subprocess.run(
        ["amtool", "config", "routes", "test", f"--config.file={config}", *(f"{k}={v}" for k, v in labels.items())],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


# The cluster's own alerts (kube-prometheus' rules): none is RAT's, whatever its severity.
CLUSTER_ALERTS = [
    {"alertname": "KubeAPIDown", "severity": "critical"},
    {"alertname": "KubePodCrashLooping", "severity": "warning", "namespace": "kube-system", "service": "ratd"},
    {"alertname": "NodeFilesystemAlmostOutOfSpace", "severity": "critical", "namespace": "monitoring"},
    {"alertname": "CPUThrottlingHigh", "severity": "info", "namespace": "default"},
    {"alertname": "RatApiDown", "severity": "critical", "service": "ratd", "namespace": "rat-staging"},  # another RAT
]


@pytest.mark.parametrize("labels", CLUSTER_ALERTS, ids=lambda labels: labels["alertname"])
def test_cluster_alerts_never_reach_rats_receivers(generated: Path, tmp_path: Path, labels: dict[str, str]) -> None:
    assert amtool_route(alertmanager_config(generated, tmp_path), labels) == "null"


def test_rats_alerts_route_as_the_runbook_says(generated: Path, variants: dict[str, Variant], tmp_path: Path) -> None:
    config = alertmanager_config(generated, tmp_path)
    profile = yaml.safe_load((generated.parent / "monitoring.yaml").read_text())["rat"]["profile"]
    variant = variants[profile]
    defs, settings = variant.alerting, variant.settings
    for alert in defs.alerts:
        labels = {"alertname": alert.name, "namespace": "rat", **alert.static_labels}
        receiver = amtool_route(config, labels)
        assert routing_text(alert, defs.routes, settings).startswith(receiver), alert.name
        assert receiver != "null", alert.name
    assert amtool_route(config, {"alertname": "RatApiDown", "severity": "critical", "namespace": "rat"}) == "pager"
    chat = {"alertname": "RatQueryDown", "severity": "warning", "service": "ratq", "namespace": "rat"}
    assert amtool_route(config, chat) == "team-chat"


def test_the_stacks_watchdog_feeds_rats_switch_and_info_inhibitor_mutes(generated: Path, tmp_path: Path) -> None:
    config = alertmanager_config(generated, tmp_path)
    am = yaml.safe_load(config.read_text())
    receivers = {r["name"] for r in am["receivers"]}
    switch = "deadmans-switch" if "deadmans-switch" in receivers else "dashboard-only"  # disabled as shipped
    assert amtool_route(config, {"alertname": "Watchdog", "severity": "none"}) == switch
    info = {"alertname": "InfoInhibitor", "severity": "none", "namespace": "rat"}
    assert amtool_route(config, info) == "null"
    assert {"name": "null"} in am["receivers"]


def _matches(matcher: str, labels: dict[str, str]) -> bool:
    name, op, value = re.fullmatch(r'([a-z_]+)(=~|!~|!=|=)"(.*)"', matcher).groups()  # type: ignore[union-attr]
    found = labels.get(name, "")
    return {
        "=": found == value,
        "!=": found != value,
        "=~": re.fullmatch(value, found) is not None,
        "!~": re.fullmatch(value, found) is None,
    }[op]


def test_inhibitions_keep_rat_and_the_cluster_apart(generated: Path, variants: dict[str, Variant]) -> None:
    """RAT's inhibitions mute only RAT's alerts (and hold only while RAT's own fire); the stack's
    defaults, which the configSecret replaced, hold again for everything else."""
    am = yaml.safe_load(objects(generated)["secret-alertmanager.yaml"]["stringData"]["alertmanager.yaml"])
    rules = am["inhibit_rules"]
    rat_alerts = [
        {"alertname": a.name, "namespace": "rat", **a.static_labels}
        for v in variants.values()
        for a in v.alerting.alerts
    ]
    cluster = [{"service": "ratd", "depends_on": "ratd", "slo": "x", **labels} for labels in CLUSTER_ALERTS]
    cluster += [{**labels, "namespace": "rat-staging"} for labels in rat_alerts]
    ours = [r for r in rules if 'namespace="rat"' in r["target_matchers"]]
    assert len(ours) == len(next(iter(variants.values())).alerting.inhibitions)
    for rule in ours:
        assert 'namespace="rat"' in rule["source_matchers"]
        assert not any(all(_matches(m, labels) for m in rule["target_matchers"]) for labels in cluster), rule
    stack = [r for r in rules if r not in ours]
    assert [r["source_matchers"] for r in stack] == [
        ['severity="critical"'],
        ['severity="warning"'],
        ['alertname="InfoInhibitor"'],
    ]
    for rule in stack:
        assert 'namespace!="rat"' in rule["target_matchers"]
        assert not any(all(_matches(m, labels) for m in rule["target_matchers"]) for labels in rat_alerts), rule
        assert any(all(_matches(m, labels) for m in rule["target_matchers"]) for labels in cluster), rule


def test_the_cluster_receiver_takes_the_clusters_alerts(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", RATD_0_2, "kubernetes:\n  cluster_receiver: team-chat\n")
    pipeline.generate(pipeline.Project(root, root / "monitoring.yaml"))
    config = alertmanager_config(root / "generated", tmp_path)
    assert amtool_route(config, {"alertname": "KubeAPIDown", "severity": "critical"}) == "team-chat"
    assert amtool_route(config, {"alertname": "RatApiDown", "severity": "critical", "namespace": "rat"}) == "pager"
    compose = (root / "generated/alertmanager/alertmanager.yml").read_text()
    assert compose == (REPO / "generated/alertmanager/alertmanager.yml").read_text()  # compose: unchanged


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ("  cluster_receiver: nobody\n", "kubernetes.cluster_receiver: unknown receiver 'nobody'"),
        ("  cluster_receiver: deadmans-switch\n", "receiver 'deadmans-switch' is routed to, but url"),
    ],
)
def test_an_unknown_or_placeholder_cluster_receiver_is_refused(tmp_path: Path, extra: str, error: str) -> None:
    root = copy_project(tmp_path / "project", RATD_0_2, "kubernetes:\n" + extra)
    text = (root / "monitoring.yaml").read_text()
    if "deadmans-switch" in extra:  # enabled, with its placeholder URL
        text = text.replace("      disabled: no dead-man's switch service configured yet\n", "")
        (root / "monitoring.yaml").write_text(text)
    with pytest.raises(DefinitionError, match=re.escape(error)):
        load_settings(root / "monitoring.yaml")


# --- the probes: blind-probe alert, and a blackbox_exporter where the Probes look -----------------


@pytest.mark.parametrize("profile", PROFILES)
def test_blind_probes_page_on_a_cluster(variants: dict[str, Variant], profile: str) -> None:
    alerts = {a.name: a for a in variants[profile].alerting.alerts}
    blind = alerts["RatHealthProbesBlind"]
    assert blind.severity == "critical" and "depends_on" not in blind.labels
    assert blind.expr == 'absent(probe_success{job="rat-probes",check="live",namespace="rat"})'
    fires = [s for s in blind.scenarios if s.fires]
    assert {"fires when the results stop", "fires when only another namespace is probed"} <= {s.name for s in fires}
    assert all(f.labels["namespace"] == "rat" for s in fires for f in s.fires)
    assert any(not s.fires and "down but probed" in s.name for s in blind.scenarios)


def test_the_default_prober_is_the_blackbox_exporter_the_documented_install_creates(generated: Path) -> None:
    """kube-prometheus-stack ships no blackbox_exporter: docs/kubernetes.md installs the
    prometheus-blackbox-exporter chart with our values, whose Service is where the Probes look."""
    values = yaml.safe_load((generated / PATHS.blackbox_values).read_text())
    service = f"{values['fullnameOverride']}.monitoring.svc:{values['service']['port']}"
    assert service == "prometheus-blackbox-exporter.monitoring.svc:9115"
    found = objects(generated)
    assert {o["spec"]["prober"]["url"] for o in found.values() if o["kind"] == "Probe"} == {service}
    modules = yaml.safe_load(found["configmap-blackbox.yaml"]["data"]["blackbox.yml"])
    assert values["config"] == modules
    install = (REPO / "docs" / "kubernetes.md").read_text()
    assert (
        "helm upgrade --install prometheus-blackbox-exporter prometheus-community/prometheus-blackbox-exporter"
        in install
    )
    assert PATHS.blackbox_values.removeprefix("kubernetes/") in install


@pytest.mark.parametrize(
    ("prober", "expected"),
    [
        (
            "blackbox-exporter.monitoring.svc:19115",
            {"fullnameOverride": "blackbox-exporter", "service": {"port": 19115}},
        ),
        ("bb.probes.svc.cluster.local:9115", {"fullnameOverride": "bb", "service": {"port": 9115}}),
        ("10.0.0.7:9115", {}),  # no Service name to give
    ],
)
def test_the_blackbox_values_follow_the_prober(prober: str, expected: dict[str, Any]) -> None:
    settings = load_settings(REPO / "monitoring.yaml")
    k8s = attrs.evolve(settings.of(KUBERNETES_SETTINGS), prober=prober)
    settings = settings.with_section(KUBERNETES_SETTINGS, k8s)
    values = k8s_render.render_blackbox_exporter_values({"modules": {}}, settings)
    assert values == {**expected, "config": {"modules": {}}}


def test_the_documented_install_creates_alertmanagers_secrets_before_helm_points_at_them() -> None:
    """The values snippet sets Alertmanager's configSecret and spec.secrets: run before both Secrets
    exist, the operator falls back to an empty config and the pod cannot mount the receivers' one."""
    k8s = KubernetesSettings()
    page = (REPO / "docs" / "kubernetes.md").read_text()
    start = page.index("Install, with kube-prometheus-stack")
    block = re.search(r"^```sh\n(.*?)^```$", page[start:], re.MULTILINE | re.DOTALL)
    assert block, "no sh block after the install paragraph of docs/kubernetes.md"
    commands = block.group(1).replace("\\\n", " ").splitlines()

    def first(text: str) -> int:
        return next(i for i, command in enumerate(commands) if text in command)

    helm = first("helm upgrade kube-prometheus-stack")  # the blackbox exporter's chart may come first
    assert first(f"create secret generic {k8s.receiver_secret} ") < helm
    assert first("kubectl apply -k generated/kubernetes") < helm  # secret-alertmanager.yaml: the configSecret
