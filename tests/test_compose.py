"""The override as Docker Compose reads it: layered on RAT's compose file as its Docker Compose
guide documents it (tests/fixtures/rat/infra/docker-compose.yml, rebuilt from
../shared/seed/rat-docker-compose.md; its header says what had to be guessed), with or without RAT's
own override beside it (docker-compose.override.yml, from the guide's override blocks), and merged by
the real Docker Compose CLI, as `docker compose -f infra/docker-compose.yml [-f
infra/docker-compose.override.yml] -f generated/compose/docker-compose.monitoring.yml` would on the
host. The tests assert on the merged result, against RAT's files read on their own."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from alerts._shared import COMPOSE_SERVICE_LABEL
from monitoring_as_code import pipeline
from monitoring_as_code.catalog import COMPOSE_LABELS
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose.preflight import preflight
from monitoring_as_code.outputs.compose.rat_compose import (
    DEFAULT_FILE_NAMES,
    DOCUMENTED,
    RAT_SERVICES,
    compose_files,
    docker_compose,
    read_rat_compose,
)
from monitoring_as_code.outputs.compose.settings import PROJECT_DIR_VARIABLE, generated_path
from monitoring_as_code.outputs.compose.unit import PATHS
from monitoring_as_code.validate import compose as compose_validator
from monitoring_as_code.writer import write_files
from tests.conftest import REPO, TEST_PROFILE, MacRunner, tree_bytes

RAT_FILE = Path(__file__).parent / "fixtures/rat/infra/docker-compose.yml"
RAT_OVERRIDE = RAT_FILE.with_name("docker-compose.override.yml")  # Compose merges it on its own
STACK = (
    *("prometheus", "alertmanager", "grafana", "loki", "blackbox-exporter", "cadvisor", "node-exporter"),
    "postgres-exporter",
)
BOOTSTRAP = ("minio-init", "nessie-init")

Settings = dict[str, Any]


def site_settings(edit: Callable[[Settings], None] | None = None) -> Settings:
    settings = yaml.safe_load(TEST_PROFILE.read_text())
    if edit:
        edit(settings)
    return settings


def deploy(host: Path, settings: Settings, rat_file: str | None = None, rat_override: str | None = None) -> Path:
    """A RAT checkout on a Docker host: infra/ with RAT's compose file (`rat_file`'s text, RAT's
    as documented by default) and, given `rat_override`, RAT's docker-compose.override.yml beside it,
    the monitoring project's generated/ and secrets beside infra/ (the host folder is the project
    folder, MAC_PROJECT_DIR), and stand-ins for the host folders the exporters read. The definitions
    are this repository's. Returns the folder to run compose from."""
    infra = host / "infra"
    infra.mkdir(parents=True)
    (infra / "docker-compose.yml").write_text(rat_file or RAT_FILE.read_text())
    if rat_override is not None:
        (infra / "docker-compose.override.yml").write_text(rat_override)
    paths = settings["compose"]["host_paths"]
    for key in paths:
        paths[key] = str(host / "hostfs" / key)
        Path(paths[key]).mkdir(parents=True)
    # Secrets live outside generated/, at the paths monitoring.yaml gives relative to the project.
    secrets = settings["compose"]["secrets"]
    alertmanager_secrets = host / secrets["alertmanager_dir"]
    alertmanager_secrets.mkdir(parents=True)
    for receiver in settings["alertmanager"]["receivers"].values():
        for key, path in receiver.items():
            if key.endswith("_file"):
                (alertmanager_secrets / Path(path).name).write_text("secret\n")
    (host / secrets["grafana_admin_password_file"]).write_text("a long password\n")
    (host / secrets["postgres_exporter_password_file"]).write_text("the monitoring role's password\n")
    (host / secrets["minio_prometheus_token_file"]).write_text("a bearer token\n")
    if settings["compose"]["rat"].get("file") == RAT_FILE_SETTING:
        # Absolute: the definitions rendered are this repository's, and `make up` runs in the host.
        settings["compose"]["rat"]["file"] = str(infra / "docker-compose.yml")

    settings_file = host / "monitoring.yaml"
    settings_file.write_text(yaml.safe_dump(settings))
    bundle = pipeline.load(pipeline.Project(root=REPO, settings_path=settings_file))
    write_files(pipeline.render(bundle), host / "generated")
    return host


RAT_FILE_SETTING = "infra/docker-compose.yml"


def reading_rat_file(settings: Settings) -> None:
    """compose.rat.file: the deployed infra/docker-compose.yml."""
    settings["compose"]["rat"]["file"] = RAT_FILE_SETTING


def compose_config(host: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """`docker compose config` on the host, as `make up` runs it: from the project folder."""
    command = [docker_compose(), *(f"-f{f}" for f in files), "config", "--format", "json"]
    env = {**os.environ, PROJECT_DIR_VARIABLE: str(host)}
    return subprocess.run(command, cwd=host, capture_output=True, text=True, env=env)


def rat_files(host: Path) -> list[str]:
    """What RAT runs on the host: its compose file, then its override if it has one."""
    return [f for f in ("infra/docker-compose.yml", "infra/docker-compose.override.yml") if (host / f).is_file()]


def merged(host: Path) -> subprocess.CompletedProcess[str]:
    return compose_config(host, *rat_files(host), f"generated/{PATHS.override}")


def merge(host: Path) -> dict[str, Any]:
    result = merged(host)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def rat_alone(host: Path, *files: str) -> dict[str, Any]:
    result = compose_config(host, *(files or rat_files(host)))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return deploy(tmp_path_factory.mktemp("docker-host"), site_settings())


@pytest.fixture(scope="module")
def config(host: Path) -> dict[str, Any]:
    return merge(host)


def without_healthchecks(*services: str) -> str:
    """RAT's documented compose file with these services' health checks removed."""
    rat = yaml.safe_load(RAT_FILE.read_text())
    for name in services:
        del rat["services"][name]["healthcheck"]
    return yaml.safe_dump(rat)


def test_the_merge_keeps_rat_and_adds_the_stack(host: Path, config: dict[str, Any]) -> None:
    rat = rat_alone(host)
    assert set(config["services"]) == set(rat["services"]) | set(STACK)
    assert set(rat["services"]) == set(RAT_SERVICES) | set(BOOTSTRAP)
    for name, service in rat["services"].items():
        for key in ("image", "build", "depends_on", "environment", "ports", "restart", "deploy"):
            assert config["services"][name].get(key) == service.get(key), (name, key)
    assert {k: v for k, v in config["networks"].items() if k in rat["networks"]} == rat["networks"]


@pytest.mark.parametrize(
    ("rat_file", "edit"),
    [
        (None, None),
        (None, reading_rat_file),
        (without_healthchecks("nessie", "postgres"), reading_rat_file),
    ],
    ids=["documented defaults", "compose.rat.file", "compose.rat.file, two services without a check"],
)
def test_no_health_check_rat_has_is_changed(
    tmp_path: Path, rat_file: str | None, edit: Callable[[Settings], None] | None
) -> None:
    host = deploy(tmp_path, site_settings(edit), rat_file)
    rat, config = rat_alone(host), merge(host)
    checked = {name for name, service in rat["services"].items() if "healthcheck" in service}
    assert checked  # the comparison below must compare something
    for name in checked:
        assert config["services"][name]["healthcheck"] == rat["services"][name]["healthcheck"], name
    # Every long-running service has a check after the merge; the bootstrap containers none.
    assert all("healthcheck" in config["services"][name] for name in RAT_SERVICES)
    assert not any("healthcheck" in config["services"][name] for name in BOOTSTRAP)


def test_the_guides_checks_only_where_rat_has_none(tmp_path: Path) -> None:
    settings = site_settings(reading_rat_file)
    host = deploy(tmp_path, settings, without_healthchecks("nessie", "postgres"))
    override = yaml.safe_load((host / "generated" / PATHS.override).read_text())
    written = {name for name in RAT_SERVICES if "healthcheck" in override["services"][name]}
    assert written == {"nessie", "postgres"}
    checks = merge(host)["services"]
    timings = settings["compose"]["rat"]["healthchecks"]
    for name in written:
        check, timing = checks[name]["healthcheck"], timings[name]
        assert (check["interval"], check["timeout"], check["retries"]) == (
            timing["interval"],
            timing["timeout"],
            timing["retries"],
        )
    # Nessie 0.99 answers health on Quarkus' management port, not on the API port.
    port = settings["compose"]["rat"]["nessie_management_port"]
    assert checks["nessie"]["healthcheck"]["test"] == [
        "CMD",
        "curl",
        "-fsS",
        "-o",
        "/dev/null",
        f"http://localhost:{port}/q/health/ready",
    ]
    # The container's own POSTGRES_USER, expanded by its shell at run time: `config` prints the
    # resolved project as a compose file again, so the `$` Compose left alone is still escaped.
    user = settings["compose"]["rat"]["postgres_user"]
    assert checks["postgres"]["healthcheck"]["test"] == ["CMD-SHELL", f'pg_isready -U "$${{POSTGRES_USER:-{user}}}"']


def test_a_setting_may_replace_rats_check(tmp_path: Path) -> None:
    def replace_portal(settings: Settings) -> None:
        reading_rat_file(settings)
        settings["compose"]["rat"]["healthchecks"]["portal"]["replace"] = True

    rat_file = yaml.safe_load(RAT_FILE.read_text())
    rat_file["services"]["portal"]["healthcheck"]["test"] = ["CMD", "true"]
    host = deploy(tmp_path, site_settings(replace_portal), yaml.safe_dump(rat_file))
    config, rat = merge(host), rat_alone(host)
    assert config["services"]["portal"]["healthcheck"]["test"][1] == "wget"
    assert config["services"]["ratd"]["healthcheck"] == rat["services"]["ratd"]["healthcheck"]


def test_the_documented_defaults_are_what_the_documented_file_declares() -> None:
    read = read_rat_compose(RAT_FILE, "fixture")  # with RAT's override beside it
    assert read.files == (RAT_FILE.resolve(), RAT_OVERRIDE.resolve())
    assert read.networks == DOCUMENTED.networks
    assert read.service_networks == DOCUMENTED.service_networks
    assert read.healthchecked == DOCUMENTED.healthchecked
    assert read.published == DOCUMENTED.published


@pytest.fixture(scope="module")
def overridden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A host where RAT runs with its override, the generated override read from RAT's file."""
    host = tmp_path_factory.mktemp("overridden")
    return deploy(host, site_settings(reading_rat_file), None, RAT_OVERRIDE.read_text())


def test_rats_override_survives_the_merge_unchanged(overridden: Path) -> None:
    """What RAT's override sets (the runner's and ratq's memory and DuckDB settings, ratd's
    environment, the volumes bound to /data/rat) is in the merged project as RAT runs it alone:
    ours changes only the logging of RAT's services."""
    rat, config = rat_alone(overridden), merge(overridden)
    for name, service in rat["services"].items():
        assert {k: v for k, v in config["services"][name].items() if k != "logging"} == {
            k: v for k, v in service.items() if k != "logging"
        }, name
    assert {k: v for k, v in config["volumes"].items() if k in rat["volumes"]} == rat["volumes"]
    # ... and those are the override's settings, not the file's alone.
    runner = config["services"]["runner"]
    assert runner["environment"]["DUCKDB_MEMORY_LIMIT"] == "4GB"
    assert runner["deploy"]["resources"]["limits"]["memory"] == str(6 * 2**30)
    assert config["services"]["ratq"]["deploy"]["resources"]["limits"]["memory"] == str(4 * 2**30)
    assert config["volumes"]["postgres_data"]["driver_opts"]["device"] == "/data/rat/postgres"
    # Layered on RAT's file alone, as a bare `-f` list would, every one of them is lost.
    without = rat_alone(overridden, "infra/docker-compose.yml", f"generated/{PATHS.override}")
    assert "DUCKDB_MEMORY_LIMIT" not in without["services"]["runner"]["environment"]
    assert without["services"]["runner"]["deploy"] != runner["deploy"]
    assert "driver_opts" not in without["volumes"]["postgres_data"]


def test_a_port_rats_override_publishes_is_taken(tmp_path: Path) -> None:
    rat_override = yaml.safe_load(RAT_OVERRIDE.read_text())
    rat_override["services"]["portal"] = {"ports": ["127.0.0.1:3001:3001"]}  # Grafana's, in the test profile
    with pytest.raises(DefinitionError, match=r"grafana.publish: port 3001 is already published by RAT's portal"):
        deploy(tmp_path, site_settings(reading_rat_file), None, yaml.safe_dump(rat_override))


def test_a_broken_rat_override_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        DefinitionError, match=r"compose.rat.file: \S*/docker-compose.yml with docker-compose.override.yml: docker"
    ):
        deploy(tmp_path, site_settings(reading_rat_file), None, "services:\n  ratd:\n    ports: 8080\n")


@pytest.mark.parametrize(
    ("base", "overrides"),
    [
        ("docker-compose.yml", []),
        ("docker-compose.yml", ["docker-compose.override.yml"]),
        ("docker-compose.yaml", ["docker-compose.override.yaml"]),
        ("compose.yaml", ["compose.override.yaml"]),
        ("compose.yml", ["compose.override.yml", "compose.override.yaml"]),
        ("compose.yaml", ["docker-compose.override.yml"]),  # Compose does not match the names
        ("docker-compose.yml", ["docker-compose.override.yaml", "compose.override.yml"]),
        ("rat.yml", ["docker-compose.override.yml"]),  # a name Compose never finds: no override
    ],
)
def test_the_override_is_the_one_compose_merges_on_its_own(tmp_path: Path, base: str, overrides: list[str]) -> None:
    """compose_files against Compose itself, run without -f in the folder: the same files."""
    (tmp_path / base).write_text(yaml.safe_dump({"services": {"ratd": {"image": "busybox:1.36"}}}))
    for name in overrides:
        (tmp_path / name).write_text(yaml.safe_dump({"services": {"ratd": {"environment": {"FROM": name}}}}))
    files = [file.name for file in compose_files(tmp_path / base)]
    if base not in DEFAULT_FILE_NAMES:
        assert files == [base]
        return
    result = compose_config(tmp_path)  # no -f: Compose picks the file and its override
    assert result.returncode == 0, result.stderr
    chosen = json.loads(result.stdout)["services"]["ratd"].get("environment", {})
    assert files == [base, *chosen.values()]


def test_reading_the_file_gives_the_override_of_the_documented_defaults(tmp_path: Path) -> None:
    unset = deploy(tmp_path / "unset", site_settings())
    read = deploy(tmp_path / "read", site_settings(reading_rat_file))
    overrides = [(h / "generated" / PATHS.override).read_text().replace(str(h), "HOST") for h in (unset, read)]
    assert overrides[0] == overrides[1]


def test_prometheus_and_blackbox_join_the_fewest_networks_reaching_ratd_nessie_and_the_portal(tmp_path: Path) -> None:
    """As documented, ratd is on frontend and backend, Nessie on backend: backend alone reaches
    both (frontend stays portal's and ratd's). With ratd moved to a network of its own, that one
    and Nessie's are joined: Nessie's API is probed directly."""
    documented = merge(deploy(tmp_path / "documented", site_settings(reading_rat_file)))
    rat = yaml.safe_load(RAT_FILE.read_text())
    rat["networks"]["internal"] = {"name": "rat_internal"}
    rat["services"]["ratd"]["networks"] = ["internal"]  # not a network the settings could guess
    moved = merge(deploy(tmp_path / "moved", site_settings(reading_rat_file), yaml.safe_dump(rat)))
    # The portal is probed too (alerts/endpoints.py): on frontend alone, frontend is joined.
    rat = yaml.safe_load(RAT_FILE.read_text())
    rat["services"]["portal"]["networks"] = ["frontend"]
    portal = merge(deploy(tmp_path / "portal", site_settings(reading_rat_file), yaml.safe_dump(rat)))
    for service in ("prometheus", "blackbox-exporter"):
        assert set(documented["services"][service]["networks"]) == {"backend", "monitoring"}, service
        assert set(moved["services"][service]["networks"]) == {"internal", "backend", "monitoring"}, service
        assert set(portal["services"][service]["networks"]) == {"frontend", "backend", "monitoring"}, service
    assert "internal" not in moved["services"]["grafana"]["networks"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s["compose"]["rat"].update(networks=["rat"]), "declares no network 'rat'"),
        (lambda s: (reading_rat_file(s), s["compose"]["rat"].update(networks=["rat"])), "declares no network 'rat'"),
    ],
    ids=["documented defaults", "compose.rat.file"],
)
def test_a_network_rat_lacks_is_refused(tmp_path: Path, edit: Callable[[Settings], None], message: str) -> None:
    with pytest.raises(DefinitionError, match=rf"settings compose.rat.networks: .*{message}"):
        deploy(tmp_path, site_settings(edit))


def test_a_rat_file_without_a_service_the_override_touches_is_refused(tmp_path: Path) -> None:
    rat = yaml.safe_load(RAT_FILE.read_text())
    del rat["services"]["portal"]
    with pytest.raises(DefinitionError, match=r"compose.rat.file: .*has no service 'portal'"):
        deploy(tmp_path, site_settings(reading_rat_file), yaml.safe_dump(rat))


@pytest.mark.parametrize("driver", ["loki", "json-file"])
def test_every_container_keeps_rotated_local_logs(tmp_path: Path, driver: str) -> None:
    """`docker logs` keeps working: json-file rotates, and the Loki driver keeps a rotated local copy."""
    config = merge(deploy(tmp_path, site_settings(lambda s: s["logging"].update(driver=driver))))
    for name, service in config["services"].items():
        assert {"max-size", "max-file"} <= set(service["logging"]["options"]), name
    for name in (*RAT_SERVICES, *STACK):
        assert config["services"][name]["logging"]["driver"] == driver, name
    for name in BOOTSTRAP:  # RAT's own policy: the override does not touch the bootstrap containers
        assert config["services"][name]["logging"]["driver"] == "json-file", name


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
    for name in (*RAT_SERVICES, *STACK):
        logging = config["services"][name]["logging"]
        assert logging["driver"] == "loki", name
        options = logging["options"]
        assert options["loki-url"] == "http://127.0.0.1:3100/loki/api/v1/push"
        assert options["loki-batch-size"] == "400"
        assert options["mode"] == "non-blocking" and options["loki-retries"] == "5"
        assert options["loki-external-labels"] == f"container_name={{{{.Name}}}},service={name}"
        # The guide's `labels: service={{.Name}}` is not passed on: `labels` lists container label keys.
        assert "labels" not in options


@pytest.mark.parametrize("onto_the_file", [False, True], ids=["documented stand-in", "RAT's file"])
def test_the_validator_merges_onto_rat_and_refuses_what_rat_lacks(
    host: Path, tmp_path: Path, onto_the_file: bool
) -> None:
    rat_file = host / "infra/docker-compose.yml" if onto_the_file else None
    compose_validator.check_merge(host / "generated", PATHS.override, PATHS.record, rat_file)
    tree = tmp_path / "tree"
    (tree / "compose").mkdir(parents=True)
    override = yaml.safe_load((host / "generated" / PATHS.override).read_text())
    override["services"]["prometheus"]["networks"].append("rat")  # a network RAT does not declare
    (tree / PATHS.override).write_text(yaml.safe_dump(override))
    (tree / PATHS.record).write_text((host / "generated" / PATHS.record).read_text())
    with pytest.raises(DefinitionError, match=r"docker compose config \(onto .*\) failed") as failed:
        compose_validator.check_merge(tree, PATHS.override, PATHS.record, rat_file)
    assert "rat" in failed.value.details


def test_the_validator_refuses_a_mount_of_a_file_generated_does_not_have(host: Path, tmp_path: Path) -> None:
    compose_validator.check_generated_mounts(host / "generated", PATHS.override)
    tree = tmp_path / "tree"
    (tree / "compose").mkdir(parents=True)
    (tree / PATHS.override).write_text((host / "generated" / PATHS.override).read_text())
    mount = re.escape(generated_path("prometheus"))
    with pytest.raises(DefinitionError, match=rf"service prometheus: mounts {mount}, which generated/ does not have"):
        compose_validator.check_generated_mounts(tree, PATHS.override)


def test_cadvisor_exports_only_the_compose_labels_the_catalog_lists(config: dict[str, Any]) -> None:
    command = config["services"]["cadvisor"]["command"]
    assert "--store_container_labels=false" in command  # the allow-list applies only then
    (allow,) = [c.split("=", 1)[1] for c in command if c.startswith("--whitelisted_container_labels=")]
    # cAdvisor exports a Docker label as container_label_<name, non-alphanumerics as _>.
    exported = {"container_label_" + "".join(c if c.isalnum() else "_" for c in label) for label in allow.split(",")}
    assert exported == set(COMPOSE_LABELS)
    assert COMPOSE_SERVICE_LABEL in exported  # what the container rules group by


def test_a_cadvisor_older_than_v0_54_is_refused(tmp_path: Path) -> None:
    def old_cadvisor(settings: Settings) -> None:
        settings["compose"]["services"]["cadvisor"]["image"] = "gcr.io/cadvisor/cadvisor:v0.52.1"

    with pytest.raises(DefinitionError, match=r"cadvisor\.image: v0\.52\.1 is too old: .*containerd"):
        deploy(tmp_path, site_settings(old_cadvisor))


def test_generate_needs_no_secret_file_and_preflight_names_the_first_missing(tmp_path: Path) -> None:
    host = deploy(tmp_path, site_settings(reading_rat_file))
    (host / "secrets/grafana-admin-password").unlink()
    settings_path = host / "monitoring.yaml"
    bundle = pipeline.load(pipeline.Project(root=REPO, settings_path=settings_path))  # no secret is read
    override = yaml.safe_load((host / "generated" / PATHS.override).read_text())
    with pytest.raises(DefinitionError, match=r"preflight: .*grafana-admin-password .*does not exist") as caught:
        preflight(bundle.settings, host, override)
    assert str(host / "secrets/grafana-admin-password") in str(caught.value)


@pytest.mark.parametrize(
    "clash",
    [None, "docker-compose.yml", "docker-compose.override.yml"],
    ids=["RAT's files", "RAT's file with a service clashing with ours", "RAT's override with that service"],
)
def test_generate_validates_the_merge_onto_rats_real_file(project: Path, mac: MacRunner, clash: str | None) -> None:
    rat, rat_override = yaml.safe_load(RAT_FILE.read_text()), yaml.safe_load(RAT_OVERRIDE.read_text())
    # Only the real files can tell: a `grafana` of RAT's own, on the host's network.
    grafana = {"image": "grafana/grafana:11.0.0", "network_mode": "host"}
    if clash:
        (rat if clash == "docker-compose.yml" else rat_override)["services"]["grafana"] = grafana
    settings = site_settings(reading_rat_file)
    deploy(project / "rat", settings, yaml.safe_dump(rat), yaml.safe_dump(rat_override))
    settings["compose"]["rat"]["file"] = "rat/infra/docker-compose.yml"
    (project / "monitoring.yaml").write_text(yaml.safe_dump(settings))
    before = tree_bytes(project / "generated")
    result = mac(project, "generate")
    if not clash:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2
    onto = f"{project}/rat/infra/docker-compose.yml with docker-compose.override.yml"
    assert f"docker compose config (onto {onto}) failed" in result.stderr
    assert tree_bytes(project / "generated") == before
