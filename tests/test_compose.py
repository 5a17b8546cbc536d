"""The override as Docker Compose reads it: layered on a RAT-like compose file (the guide's seven
services on RAT's named network) and merged by the real Docker Compose CLI, as
`docker compose -f infra/docker-compose.yml -f generated/compose/docker-compose.monitoring.yml`
would on the host. The tests assert on the merged result."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from monitoring_as_code import pipeline
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.validate import compose as compose_validator
from monitoring_as_code.validate.compose import OVERRIDE, _docker_compose
from monitoring_as_code.writer import write_files
from tests.conftest import REPO, TEST_PROFILE

RAT_SERVICES = ("ratd", "ratq", "runner", "portal", "postgres", "minio", "nessie")
STACK = ("prometheus", "alertmanager", "grafana", "loki", "blackbox-exporter", "cadvisor", "node-exporter")
# A stand-in for RAT's infra/docker-compose.yml: its seven services on its own named network,
# with the guide's json-file rotation (the override must replace or keep it, never break it).
RAT_COMPOSE = {
    "name": "rat",
    "services": {
        name: {
            "image": f"ghcr.io/rat/{name}:1.0.0",
            "networks": ["rat"],
            "logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}},
        }
        for name in RAT_SERVICES
    },
    "networks": {"rat": {"driver": "bridge"}},
}
# The guide's health check table: service -> (interval, timeout, retries, start period).
GUIDE_TIMINGS = {
    "ratd": ("5s", "3s", 5, "5s"),
    "ratq": ("10s", "5s", 5, "15s"),
    "runner": ("10s", "5s", 5, "15s"),
    "portal": ("10s", "5s", 3, "30s"),
    "postgres": ("5s", "3s", 5, "5s"),
    "minio": ("5s", "3s", 5, "5s"),
    "nessie": ("10s", "5s", 5, "15s"),
}

Settings = dict[str, Any]


def site_settings(edit: Callable[[Settings], None] | None = None) -> Settings:
    settings = yaml.safe_load(TEST_PROFILE.read_text())
    if edit:
        edit(settings)
    return settings


def deploy(host: Path, settings: Settings) -> Path:
    """A RAT checkout on a Docker host: infra/, generated/ beside it, the secrets, and stand-ins
    for the host folders the exporters read. Returns the folder to run compose from."""
    paths = settings["compose"]["host_paths"]
    for key in paths:
        paths[key] = str(host / "hostfs" / key)
        Path(paths[key]).mkdir(parents=True)
    settings_file = host / "monitoring.yaml"
    settings_file.write_text(yaml.safe_dump(settings))
    bundle = pipeline.load(pipeline.Project(root=REPO, settings_path=settings_file))
    write_files(pipeline.render(bundle), host / "generated")

    infra = host / "infra"
    infra.mkdir()
    (infra / "docker-compose.yml").write_text(yaml.safe_dump(RAT_COMPOSE))
    # Secrets live outside generated/, at the paths monitoring.yaml gives relative to infra/.
    secrets = settings["compose"]["secrets"]
    alertmanager_secrets = infra / secrets["alertmanager_dir"]
    alertmanager_secrets.mkdir(parents=True)
    for receiver in bundle.settings.alertmanager.receivers:
        for key, path in receiver.options.items():
            if key.endswith("_file"):
                (alertmanager_secrets / Path(path).name).write_text("secret\n")
    (infra / secrets["grafana_admin_password_file"]).write_text("a long password\n")
    return host


def merged(host: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [_docker_compose(), "-f", "infra/docker-compose.yml", "-f", f"generated/{OVERRIDE}", *extra]
    return subprocess.run([*command, "config", "--format", "json"], cwd=host, capture_output=True, text=True)


def merge(host: Path) -> dict[str, Any]:
    result = merged(host)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return deploy(tmp_path_factory.mktemp("docker-host"), site_settings())


@pytest.fixture(scope="module")
def config(host: Path) -> dict[str, Any]:
    return merge(host)


def test_the_merge_keeps_rat_and_adds_the_stack(config: dict[str, Any]) -> None:
    assert set(config["services"]) == set(RAT_SERVICES) | set(STACK)
    for name in RAT_SERVICES:
        assert config["services"][name]["image"] == f"ghcr.io/rat/{name}:1.0.0"


@pytest.mark.parametrize("service", RAT_SERVICES)
def test_rat_health_checks_follow_the_guide(config: dict[str, Any], service: str) -> None:
    check = config["services"][service]["healthcheck"]
    assert (check["interval"], check["timeout"], check["retries"], check["start_period"]) == GUIDE_TIMINGS[service]
    assert check["test"][0] == "CMD"  # exec form: no shell assumed in RAT's images


def test_rat_health_check_methods_follow_the_guide(config: dict[str, Any]) -> None:
    test = {name: config["services"][name]["healthcheck"]["test"][1:] for name in RAT_SERVICES}
    assert test["ratd"] == ["/ratd", "healthcheck"]
    assert test["portal"][0] == "wget" and test["portal"][-1] == "http://localhost:3000"
    assert test["postgres"] == ["pg_isready", "-U", "rat"]
    assert test["minio"] == ["mc", "ready", "local"]
    assert test["nessie"][-1] == "http://localhost:19120/q/health/ready"
    for service, port in (("ratq", 50051), ("runner", 50052)):  # runner's port is the guide's log's
        program, flag, code = test[service]
        assert (program, flag) == ("python", "-c")
        assert "grpc.channel_ready_future" in code and f"'localhost:{port}'" in code


def test_every_service_logs_with_the_guides_rotation(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        assert service["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}, name


def test_every_mount_source_exists(host: Path, config: dict[str, Any]) -> None:
    sources = [
        Path(volume["source"])
        for service in config["services"].values()
        for volume in service.get("volumes", [])
        if volume["type"] == "bind"
    ]
    sources += [Path(secret["file"]) for secret in config["secrets"].values()]
    assert len(sources) > 10
    missing = [str(s) for s in sources if not s.exists()]
    assert not missing
    assert all(s.is_relative_to(host) for s in sources)  # resolved from infra/, not from the cwd


def test_generated_files_are_mounted_read_only_where_each_image_reads_them(host: Path, config: dict[str, Any]) -> None:
    services = config["services"]

    def bind(service: str, target: str) -> Path:
        (volume,) = [v for v in services[service]["volumes"] if v["target"] == target]
        assert volume["type"] == "bind" and volume["read_only"] is True
        return Path(volume["source"])

    generated = host / "generated"
    assert bind("prometheus", "/etc/prometheus") == generated / "prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    assert bind("alertmanager", "/etc/alertmanager/alertmanager.yml") == generated / "alertmanager/alertmanager.yml"
    assert bind("blackbox-exporter", "/etc/blackbox_exporter/config.yml") == generated / "blackbox/blackbox.yml"
    assert bind("loki", "/etc/loki/local-config.yaml") == generated / "loki/loki-config.yml"
    assert bind("grafana", "/etc/grafana/provisioning") == generated / "grafana/provisioning"
    assert bind("grafana", "/var/lib/grafana/dashboards") == generated / "grafana/dashboards"
    # The receivers' secret files, in the folder Alertmanager reads them from.
    assert bind("alertmanager", "/etc/alertmanager/secrets") == host / "secrets/alertmanager"


def test_monitoring_data_lives_in_named_volumes(config: dict[str, Any]) -> None:
    data_folders = {"prometheus": "/prometheus", "alertmanager": "/alertmanager", "loki": "/loki"}
    for service, target in {**data_folders, "grafana": "/var/lib/grafana"}.items():
        (volume,) = [v for v in config["services"][service]["volumes"] if v["target"] == target]
        assert volume["type"] == "volume" and volume["source"] in config["volumes"]


def test_node_exporter_sees_the_host_disk_and_the_backup_textfile(host: Path, config: dict[str, Any]) -> None:
    node = config["services"]["node-exporter"]
    volumes = {v["target"]: v for v in node["volumes"]}
    assert Path(volumes["/host"]["source"]) == host / "hostfs/root"
    assert volumes["/host"]["bind"]["propagation"] == "rslave"
    assert Path(volumes["/textfile"]["source"]) == host / "hostfs/textfile_dir"
    assert {"--path.rootfs=/host", "--collector.textfile.directory=/textfile"} <= set(node["command"])


def _scrape_pairs(host: Path) -> set[tuple[str, str]]:
    """(client, server) for every address Prometheus scrapes and blackbox-exporter probes."""
    prometheus = yaml.safe_load((host / "generated/prometheus/prometheus.yml").read_text())
    pairs = set()
    for job in prometheus["scrape_configs"]:
        probed = any(r.get("target_label") == "__param_target" for r in job.get("relabel_configs", []))
        for static in job["static_configs"]:
            for target in static["targets"]:
                if probed:
                    pairs.add(("blackbox-exporter", urlsplit(target).hostname))
                else:
                    pairs.add(("prometheus", target.rsplit(":", 1)[0]))
        for relabel in job.get("relabel_configs", []):
            if relabel.get("target_label") == "__address__":
                pairs.add(("prometheus", relabel["replacement"].rsplit(":", 1)[0]))
    alerting = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    pairs |= {("prometheus", t.rsplit(":", 1)[0]) for t in alerting}
    datasources = yaml.safe_load((host / "generated/grafana/provisioning/datasources/rat.yml").read_text())
    pairs |= {("grafana", urlsplit(d["url"]).hostname) for d in datasources["datasources"]}
    return {(client, server) for client, server in pairs if server != "localhost"}


def test_each_scraper_shares_a_network_with_what_it_scrapes(host: Path, config: dict[str, Any]) -> None:
    pairs = _scrape_pairs(host)
    assert {("prometheus", "ratd"), ("blackbox-exporter", "ratd"), ("grafana", "loki")} <= pairs
    for client, server in pairs:
        shared = set(config["services"][client]["networks"]) & set(config["services"][server]["networks"])
        assert shared, f"{client} cannot reach {server}"


def test_published_ports_listen_on_loopback_only(config: dict[str, Any]) -> None:
    published = {
        name: [(p["host_ip"], p["published"], p["target"]) for p in service.get("ports", [])]
        for name, service in config["services"].items()
        if name in STACK
    }
    assert published["grafana"] == [("127.0.0.1", "3001", 3000)]  # RAT's portal has 3000
    assert published["loki"] == [("127.0.0.1", "3100", 3100)]  # where the Loki driver pushes
    assert all(host_ip == "127.0.0.1" for ports in published.values() for host_ip, _, _ in ports)


def test_the_stack_is_pinned_limited_restarted_and_health_checked(config: dict[str, Any]) -> None:
    for name in STACK:
        service = config["services"][name]
        tag = service["image"].rsplit(":", 1)[1]
        assert tag not in ("latest", "") and any(c.isdigit() for c in tag), name
        assert service["restart"] == "unless-stopped"
        assert {"memory", "cpus"} <= set(service["deploy"]["resources"]["limits"])
        assert service["healthcheck"]["test"][0] == "CMD"
    # Loki 3.7 is distroless: its binary checks itself.
    assert config["services"]["loki"]["healthcheck"]["test"] == ["CMD", "/usr/bin/loki", "-health"]


def test_grafana_admin_password_comes_from_a_secret_file(config: dict[str, Any]) -> None:
    grafana = config["services"]["grafana"]
    environment = grafana["environment"]
    assert "GF_SECURITY_ADMIN_PASSWORD" not in environment
    assert environment["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert environment["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert [s["source"] for s in grafana["secrets"]] == ["grafana_admin_password"]


def test_loki_driver_on_every_service_with_the_labels_dashboards_select(tmp_path: Path) -> None:
    def use_loki(settings: Settings) -> None:
        settings["logging"]["driver"] = "loki"

    config = merge(deploy(tmp_path, site_settings(use_loki)))
    for name, service in config["services"].items():
        logging = service["logging"]
        assert logging["driver"] == "loki", name
        options = logging["options"]
        assert options["loki-url"] == "http://127.0.0.1:3100/loki/api/v1/push"
        assert options["loki-batch-size"] == "400"
        assert options["mode"] == "non-blocking" and options["loki-retries"] == "5"
        assert options["loki-external-labels"] == f"container_name={{{{.Name}}}},service={name}"
        # The guide's `labels: service={{.Name}}` is not passed on: `labels` lists container label keys.
        assert "labels" not in options


def test_a_network_rat_does_not_define_fails_the_merge(tmp_path: Path) -> None:
    def misname(settings: Settings) -> None:
        settings["compose"]["rat"]["networks"] = ["rat-backend"]

    result = merged(deploy(tmp_path, site_settings(misname)))
    assert result.returncode != 0
    assert "rat-backend" in result.stderr


def test_the_validator_refuses_an_override_compose_cannot_merge(host: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "compose").mkdir(parents=True)
    override = yaml.safe_load((host / "generated" / OVERRIDE).read_text())
    compose_validator.check_merge(host / "generated")
    override["services"]["prometheus"]["volumes"].append({"type": "volume", "source": "undeclared", "target": "/x"})
    (tree / OVERRIDE).write_text(yaml.safe_dump(override))
    with pytest.raises(DefinitionError, match="docker compose config failed"):
        compose_validator.check_merge(tree)


def test_the_validator_refuses_a_mount_of_a_file_generated_does_not_have(host: Path, tmp_path: Path) -> None:
    compose_validator.check_generated_mounts(host / "generated")
    tree = tmp_path / "tree"
    (tree / "compose").mkdir(parents=True)
    (tree / OVERRIDE).write_text((host / "generated" / OVERRIDE).read_text())
    with pytest.raises(DefinitionError, match=r"service prometheus: mounts \.\./generated/prometheus"):
        compose_validator.check_generated_mounts(tree)


def test_make_up_prints_the_layered_command_without_a_docker_engine() -> None:
    environment = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    result = subprocess.run(
        ["make", "-s", "-o", "generate", "up"], cwd=REPO, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (
        "docker compose -f infra/docker-compose.yml -f generated/compose/docker-compose.monitoring.yml up -d"
        in result.stdout
    )
