"""The stand-ins against RAT's own documents (../shared/seed), not against fixtures of ours: each
profile's ratd catalog is its guide's "Key Metrics" table, the simulated ratd 0.2 serves exactly
that, the ratd-0.2 probes read the `/health/ready` body the current guide prints, and the stand-ins
of RAT's compose file and its override (tests/fixtures/rat) and `rat_compose.DOCUMENTED` are what the
Docker Compose guide's YAML blocks and tables show."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import attrs
import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from alerts.endpoints import PORTAL_PATH
from alerts.profile_guide import RATD_METRICS as GUIDE_METRICS
from alerts.profile_ratd_0_2 import RATD_METRICS as RATD_0_2_METRICS
from alerts.profile_ratd_0_2 import READY_CHECKS
from monitoring_as_code.outputs.compose.rat_compose import DOCUMENTED
from monitoring_as_code.outputs.kubernetes.settings import IN_CLUSTER_SERVICES, KubernetesSettings
from tests.conftest import REPO, SHARED, shared
from tests.sim.rat import RATD_0_2, SimulatedRat, send_json, serving
from tests.test_blackbox import blackbox, blackbox_config, probe  # noqa: F401 - the real exporter, as fixtures

SEED = SHARED / "seed"
TYPES = ("counter", "gauge", "histogram", "summary")


@pytest.fixture(scope="module")
def seed() -> Path:
    return shared(SEED, "RAT's documents")


def key_metrics(text: str) -> dict[str, str]:
    """Metric -> type, from a guide's "Key Metrics" table (a Markdown table, or the same table
    flattened to one run of text per row, as the first guide's copy has it)."""
    section = text[text.index("Key Metrics") : text.index("Prometheus Configuration")]
    found: dict[str, str] = {}
    for line in section.splitlines():
        kinds = "|".join(TYPES)
        row = re.match(rf"^\|(.+?)\|\s*({kinds})\s*\|", line) or re.match(rf"^(ratd_\w+?)({kinds})", line)
        if row:
            for name in re.findall(r"ratd_\w+", row.group(1)):
                found[name] = row.group(2)
    return found


def test_the_guide_profile_is_the_first_guides_key_metrics(seed: Path) -> None:
    documented = key_metrics((seed / "rat-monitoring.md").read_text())
    assert {m.name: m.type for m in GUIDE_METRICS} == documented


def test_the_ratd_0_2_profile_is_the_current_guides_key_metrics(seed: Path) -> None:
    text = (seed / "rat-monitoring-current.md").read_text()
    assert {m.name: m.type for m in RATD_0_2_METRICS} == key_metrics(text)
    # "Pool, heartbeat-pool, SSE, plugin, and scheduler metrics are only emitted when the
    # corresponding subsystem is active."
    assert "only emitted when the corresponding subsystem is active" in text
    subsystems = ("ratd_postgres_", "ratd_sse_", "ratd_plugins_", "ratd_scheduler_")
    assert {m.name for m in RATD_0_2_METRICS if m.conditional} == {
        m.name for m in RATD_0_2_METRICS if m.name.startswith(subsystems)
    }


def test_the_simulated_ratd_0_2_serves_the_catalog(tmp_path: Path) -> None:
    sim = SimulatedRat(tmp_path, max_concurrent=10, profile=RATD_0_2)
    sim.start()
    try:
        exposition = generate_latest(sim.ratd_registry).decode()
    finally:
        sim.stop()
    served = {
        f.name + ("_total" if f.type == "counter" else ""): f.type for f in text_string_to_metric_families(exposition)
    }
    assert served == {m.name: m.type for m in RATD_0_2_METRICS}


def documented_ready_body(seed: Path) -> dict[str, Any]:
    """The JSON the current guide prints for `curl -s http://localhost:8080/health/ready`."""
    text = (seed / "rat-monitoring-current.md").read_text()
    after = text[text.index("curl -s http://localhost:8080/health/ready") :]
    block = re.search(r"```json[^\n]*\n(.*?)```", after, re.DOTALL)
    assert block, "no JSON response after the /health/ready example"
    return json.loads(block.group(1))


class DocumentedReady(BaseHTTPRequestHandler):
    body: ClassVar[dict[str, Any]] = {}
    code: ClassVar[int] = 200

    def do_GET(self) -> None:
        send_json(self, self.code, self.body, indent=2)  # as the guide prints it

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ready_endpoint() -> Iterator[str]:
    with serving(DocumentedReady) as base:
        yield f"{base}/health/ready"


def test_the_probes_read_the_documented_ready_body(
    seed: Path,
    blackbox: str,  # noqa: F811 - the fixture imported above
    ready_endpoint: str,
) -> None:
    body = documented_ready_body(seed)
    assert set(body["checks"]) == set(READY_CHECKS)  # the profile maps every documented key
    DocumentedReady.body, DocumentedReady.code = body, 200
    assert {key: probe(blackbox, f"rat_ready_{key}", ready_endpoint) for key in READY_CHECKS} == dict.fromkeys(
        READY_CHECKS, 1
    )
    # "Each check object has a status of "ok" or "error"; on failure it also carries an error
    # string", with 503 and status "not_ready".
    for failing in READY_CHECKS:
        broken = copy.deepcopy(body)
        broken["status"] = "not_ready"
        broken["checks"][failing] = {"status": "error", "error": "connection refused"}
        DocumentedReady.body, DocumentedReady.code = broken, 503
        results = {key: probe(blackbox, f"rat_ready_{key}", ready_endpoint) for key in READY_CHECKS}
        assert results == {key: float(key != failing) for key in READY_CHECKS}


# RAT's compose file: the stand-in and DOCUMENTED against rat-docker-compose.md.

RAT_FILE = REPO / "tests" / "fixtures" / "rat" / "infra" / "docker-compose.yml"
RAT_OVERRIDE = RAT_FILE.with_name("docker-compose.override.yml")
COMPOSE_FILE, OVERRIDE_FILE = "infra/docker-compose.yml", "infra/docker-compose.override.yml"
# The stand-in override is the guide's infra/docker-compose.override.yml blocks merged in this order
# (by the heading above each): a deployment's own settings, then its production tuning and storage.
OVERRIDE_BLOCKS = ("Compose Overrides", "Tuning for Larger Workloads", "External Volumes (Production)")
# The blocks left out, and why. Nothing else is in the stand-in override: it has no guesses.
OVERRIDE_LEFT_OUT = {"Tuning for Minimal Resources": "the laptop choice of the same keys as the larger workloads'"}
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)(.*)$")  # an opening fence: marker, language, info
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
FILENAME = re.compile(r'filename="([^"(]+?)\s*(?:\(([^)]+)\))?"')  # "infra/docker-compose.yml (ratd)"
# The "Health Checks" table's columns, as healthcheck keys.
HEALTH_COLUMNS = {"Interval": "interval", "Timeout": "timeout", "Retries": "retries", "Start Period": "start_period"}

# What the stand-in has that the guide does not show (service -> keys; `healthcheck.X` for one key of
# the check). Each is a guess: the guide has no block for ratq, postgres, minio or nessie, and its
# health check table has no timeout column. When the guide starts showing one of these, the test
# below fails: the block and table tests then say whether the guess was right.
GUESSES: dict[str, set[str]] = {
    # ratq has no block: its build context, init and environment follow runner's; its depends_on is
    # the guide's arrows (ratq -> minio, nessie) and "ratq ... start after ... nessie-init"; its check
    # is "gRPC channel ready check" in words only.
    "ratq": {"build", "init", "environment", "depends_on", "healthcheck.test", "healthcheck.timeout"},
    "runner": {"healthcheck.test", "healthcheck.timeout"},  # "gRPC channel ready check" in words only
    "portal": {"healthcheck.timeout"},
    # postgres, minio and nessie: only image, ports, limits and check row are documented. Which
    # service mounts each volume is inferred from what it stores (its mount point is documented).
    "postgres": {"environment", "volumes", "healthcheck.timeout"},
    "minio": {"command", "environment", "volumes", "healthcheck.timeout"},
    # "Nessie starts after Postgres is healthy" in words; the check's fallback to /api/v2/config is ours.
    "nessie": {"environment", "depends_on", "healthcheck.timeout"},
    "minio-init": {"environment"},  # its entrypoint reads $S3_ACCESS_KEY: the credentials anchor
    "nessie-init": {"entrypoint"},  # the guide's block has a comment where the entrypoint goes
}


@attrs.frozen
class Fence:
    heading: str  # the nearest heading above it
    language: str
    filename: str | None  # from the info string's filename="..."
    part: str | None  # what follows the file name in parentheses: the service the block shows
    body: str


@attrs.frozen
class Markdown:
    fences: list[Fence]
    sections: dict[str, str]  # heading -> its text up to the next heading, fences left out
    tables: dict[str, list[list[str]]]  # heading -> the cells of its table's rows, header first


def read_markdown(text: str) -> Markdown:
    """A line scan of CommonMark's fenced code blocks, headings and pipe tables."""
    markdown = Markdown([], {"": ""}, {})
    heading = ""  # the current section's
    opening: re.Match[str] | None = None  # the open fence's first line
    body: list[str] = []  # and its lines so far
    for line in text.splitlines():
        if opening:
            marker, closing = opening[1], line.strip()
            if len(closing) >= len(marker) and closing == marker[0] * len(closing):
                named = FILENAME.search(opening[3])
                filename, part = (named[1], named[2]) if named else (None, None)
                markdown.fences.append(Fence(heading, opening[2], filename, part, "\n".join(body) + "\n"))
                opening = None
            else:
                body.append(line)
        elif opening := FENCE.match(line):
            body = []
        elif titled := HEADING.match(line):
            heading = titled[1]
            assert heading not in markdown.sections, f"two sections titled {heading!r}"
            markdown.sections[heading] = ""
        else:
            markdown.sections[heading] += line + "\n"
            if line.startswith("|") and not re.fullmatch(r"[|\s:-]+", line):  # a row, not the separator
                markdown.tables.setdefault(heading, []).append([c.strip() for c in line.strip("| ").split("|")])
    assert opening is None, "an unclosed fence"
    return markdown


def code(text: str) -> list[str]:
    """The `code spans` in TEXT."""
    return re.findall(r"`([^`]+)`", text)


@attrs.frozen
class ComposeGuide:
    """What rat-docker-compose.md shows of RAT's compose file."""

    markdown: Markdown
    fragments: dict[str, Any]  # top-level keys of infra/docker-compose.yml: networks, volumes, x- anchors
    services: dict[str, dict[str, Any]]  # service -> the keys its infra/docker-compose.yml block shows
    overrides: dict[str, dict[str, Any]]  # heading -> the infra/docker-compose.override.yml block under it

    def rows(self, heading: str) -> dict[str, dict[str, str]]:
        """The table under HEADING, by its first column (bold service names unwrapped)."""
        header, *rows = self.markdown.tables[heading]
        by_name = {row[0].strip("*"): dict(zip(header, row, strict=True)) for row in rows}
        assert len(by_name) == len(rows), f"{heading}: a service has two rows"
        return by_name


def read_compose_guide(text: str) -> ComposeGuide:
    """The guide's YAML blocks, parsed; its headings' sections and tables kept for the tests."""
    markdown = read_markdown(text)
    blocks = [fence for fence in markdown.fences if fence.language == "yaml"]
    # The unnamed blocks (under "Volumes and Persistence") are fragments of the same file.
    whole = [b for b in blocks if b.filename in (None, COMPOSE_FILE) and b.part is None]
    fragments: dict[str, Any] = {}
    for block in whole:
        for key, value in yaml.safe_load(block.body).items():
            fragments[key] = {**fragments.get(key, {}), **value}
    # The service blocks use the anchors (`<<: *s3-credentials`) the guide defines in its own blocks.
    anchors = "".join(b.body for b in whole if all(key.startswith("x-") for key in yaml.safe_load(b.body)))
    services: dict[str, dict[str, Any]] = {}
    for block in blocks:
        if block.filename == COMPOSE_FILE and block.part:
            shown = yaml.safe_load(anchors + block.body)
            services[block.part] = shown[block.part]
    overridden = [b for b in blocks if b.filename == OVERRIDE_FILE]
    overrides = {b.heading: yaml.safe_load(b.body) for b in overridden}
    assert len(overrides) == len(overridden), "two override blocks under one heading"
    return ComposeGuide(markdown, fragments, services, overrides)


@pytest.fixture(scope="module")
def guide(seed: Path) -> ComposeGuide:
    return read_compose_guide((seed / "rat-docker-compose.md").read_text())


@pytest.fixture(scope="module")
def stand_in() -> dict[str, Any]:
    return yaml.safe_load(RAT_FILE.read_text())


def documented_ports(cell: str) -> set[tuple[str | None, int, int]]:
    """(host address, host port, container port) from an "Exposed Ports" cell such as "`127.0.0.1:9002`
    → 9000, `127.0.0.1:9003` → 9001" or "`8080` (public HTTP); internal `8090` (not published)"."""
    found = set()
    for part in re.split(r"[;,]", cell):
        port = re.search(r"`(?:([\d.]+):)?(\d+)`(?:\s*→\s*(\d+))?", part)
        if port and "not published" not in part:
            found.add((port[1], int(port[2]), int(port[3] or port[2])))
    return found


def short_ports(ports: list[str]) -> set[tuple[str | None, int, int]]:
    """(host address, host port, container port) of Compose's short syntax, "[ADDRESS:]HOST:CONTAINER"."""
    found = set()
    for port in ports:
        *address, host, container = port.split(":")
        found.add((address[0] if address else None, int(host), int(container)))
    return found


def network_members(guide: ComposeGuide) -> dict[str, set[str]]:
    """Service -> its networks, from "Network Architecture": each network's section (titled with its
    key and name) says "All services are on this network" or names the only ones that are."""
    services = list(guide.rows("Services"))
    members: dict[str, set[str]] = {name: set() for name in services}
    for key, spec in guide.fragments["networks"].items():
        sentence = re.search(r"[^.]*on this network", guide.markdown.sections[f"{key} (`{spec['name']}`)"])
        assert sentence, f"the guide does not say which services are on {key}"
        on = services if sentence[0].strip().startswith("All services") else code(sentence[0])
        for name in on:
            members[name].add(key)
    return members


def check_command(check: dict[str, Any]) -> str:
    """A health check's `test`, as one string."""
    return " ".join(check["test"]) if isinstance(check["test"], list) else check["test"]


def test_the_stand_in_is_what_the_guides_compose_blocks_show(guide: ComposeGuide, stand_in: dict[str, Any]) -> None:
    """Every key of every infra/docker-compose.yml service block the guide prints (ratd, runner, portal,
    minio-init, nessie-init: build, image, environment, depends_on, healthcheck, restart ...), and its
    top-level fragments (networks, volumes, the x-s3-credentials and x-logging anchors), are the stand-in's."""
    assert guide.services and guide.fragments
    services = stand_in["services"]
    ours = {name: {key: services.get(name, {}).get(key) for key in shown} for name, shown in guide.services.items()}
    assert ours == guide.services
    assert {key: stand_in.get(key) for key in guide.fragments} == guide.fragments


def test_the_stand_in_has_the_services_tables_images_and_ports(guide: ComposeGuide, stand_in: dict[str, Any]) -> None:
    """The "Services" table: RAT's nine services, each one's pinned image (built, for the "Custom"
    ones), and the host address and ports each publishes (ratd's internal 8090 is not published)."""
    documented = {
        name: (code(row["Image"])[0] if code(row["Image"]) else "built", documented_ports(row["Exposed Ports"]))
        for name, row in guide.rows("Services").items()
    }
    ours = {
        name: (spec.get("image", "built" if "build" in spec else None), short_ports(spec.get("ports", [])))
        for name, spec in stand_in["services"].items()
    }
    assert ours == documented


def test_the_stand_in_has_the_default_limits(guide: ComposeGuide, stand_in: dict[str, Any]) -> None:
    """The "Default Limits" table: memory, CPUs and PIDs of each service it lists, and no limits for
    the one it does not (nessie-init)."""
    limits = {
        name: {"memory": row["Memory"].replace(" ", "")[:-1], "cpus": row["CPU"], "pids": int(row["PIDs"])}
        for name, row in guide.rows("Default Limits").items()  # "512 MB" is Compose's 512M
    }
    deployed = {name: spec["deploy"] for name, spec in stand_in["services"].items() if "deploy" in spec}
    assert deployed == {name: {"resources": {"limits": limit}} for name, limit in limits.items()}


def test_the_stand_in_has_the_health_check_table(guide: ComposeGuide, stand_in: dict[str, Any]) -> None:
    """The "Health Checks" table: exactly its seven services have a check, with its interval, retries
    and start period, and a command with the words the table quotes (`pg_isready`, `mc ready local` ...)."""
    rows, services = guide.rows("Health Checks"), stand_in["services"]
    assert {name for name, spec in services.items() if "healthcheck" in spec} == set(rows)
    timings = {name: {HEALTH_COLUMNS[c]: row[c] for c in row if c in HEALTH_COLUMNS} for name, row in rows.items()}
    ours = {name: {key: str(services[name]["healthcheck"][key]) for key in timing} for name, timing in timings.items()}
    assert ours == timings
    unquoted = {
        (name, word)
        for name, row in rows.items()
        for span in code(row["Health Check"])
        for word in span.split()
        if word not in check_command(services[name]["healthcheck"])
    }
    assert not unquoted


def test_the_stand_in_has_the_documented_networks_logging_and_volumes(
    guide: ComposeGuide, stand_in: dict[str, Any]
) -> None:
    """The guide's "Network Architecture" (only portal and ratd on frontend, all services on backend),
    "All services use the json-file log driver" (the x-logging anchor), and each named volume
    mounted at its documented mount point."""
    services = stand_in["services"]
    assert {name: set(spec["networks"]) for name, spec in services.items()} == network_members(guide)
    assert "All services use the `json-file` log driver" in guide.markdown.sections["Logging"]
    logging = guide.fragments["x-logging"]
    assert {name: spec["logging"] for name, spec in services.items()} == dict.fromkeys(services, logging)
    mounted = {volume for spec in services.values() for volume in spec.get("volumes", [])}
    for volume in guide.fragments["volumes"]:
        mount = re.search(r"\*\*Mount point\*\*: `([^`]+)`", guide.markdown.sections[volume])
        assert mount and f"{volume}:{mount[1]}" in mounted


def test_documented_is_what_the_guide_says(guide: ComposeGuide) -> None:
    """`DOCUMENTED`, the compose the override assumes without `compose.rat.file`: the guide's two
    networks and their names, which services are on which, the services of its "Health Checks" table,
    and the host ports of its "Services" table, with what its docker-compose.override.yml examples
    publish or join (Compose merges that file onto the other)."""
    networks = {key: spec["name"] for key, spec in guide.fragments["networks"].items()}
    members = network_members(guide)
    published = {
        host: name
        for name, row in guide.rows("Services").items()
        for _, host, _ in documented_ports(row["Exposed Ports"])
    }
    for override in guide.overrides.values():
        networks |= {key: (spec or {}).get("name", key) for key, spec in (override.get("networks") or {}).items()}
        for name, spec in (override.get("services") or {}).items():
            members[name] |= set(spec.get("networks") or ())
            for _, host, _ in short_ports(spec.get("ports") or []):
                assert published.setdefault(host, name) == name, f"the guide publishes {host} twice"
    assert dict(DOCUMENTED.networks) == networks
    assert {name: set(on) for name, on in DOCUMENTED.service_networks.items()} == members
    assert all(on == tuple(sorted(on)) for on in DOCUMENTED.service_networks.values())  # as read_rat_compose gives them
    assert DOCUMENTED.healthchecked == set(guide.rows("Health Checks"))
    assert dict(DOCUMENTED.published) == published


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """OVERRIDE merged onto BASE as Compose merges mappings: key by key, the later value winning. A
    list is never in both (asserted), so Compose's ways of merging lists do not come into it."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            result[key] = merged(base[key], value)
        else:
            assert not isinstance(value, list) or key not in base, f"{key}: a list in two blocks"
            result[key] = value
    return result


def test_the_stand_in_override_is_the_guides_override_blocks(guide: ComposeGuide) -> None:
    """tests/fixtures/rat/infra/docker-compose.override.yml is exactly OVERRIDE_BLOCKS merged in
    order, and every override block of the guide is either used or left out by name; the guide says
    Compose merges that file onto the other on its own, which is why everything layering on RAT must
    name it."""
    assert set(guide.overrides) == {*OVERRIDE_BLOCKS, *OVERRIDE_LEFT_OUT}
    expected: dict[str, Any] = {}
    for heading in OVERRIDE_BLOCKS:
        expected = merged(expected, guide.overrides[heading])
    assert yaml.safe_load(RAT_OVERRIDE.read_text()) == expected
    merges = "Docker Compose automatically merges `docker-compose.yml` with `docker-compose.override.yml`"
    assert merges in guide.markdown.sections["Compose Overrides"]


def key_paths(service: dict[str, Any]) -> set[str]:
    """A service's keys, its health check's as `healthcheck.KEY`."""
    return {key for key in service if key != "healthcheck"} | {
        f"healthcheck.{key}" for key in service.get("healthcheck", {})
    }


def pinned(guide: ComposeGuide, name: str) -> set[str]:
    """The keys of service NAME the tests above hold to the guide."""
    keys = key_paths(guide.services.get(name, {})) | {"ports", "networks", "logging"}
    image, health = guide.rows("Services")[name]["Image"], guide.rows("Health Checks").get(name, {})
    keys |= {"image"} if code(image) else set()
    keys |= {"deploy"} if name in guide.rows("Default Limits") else set()
    keys |= {f"healthcheck.{HEALTH_COLUMNS[column]}" for column in health if column in HEALTH_COLUMNS}
    keys |= {"healthcheck.test"} if code(health.get("Health Check", "")) else set()
    return keys


def test_the_stand_ins_guesses_are_what_the_guide_leaves_open(guide: ComposeGuide, stand_in: dict[str, Any]) -> None:
    """GUESSES lists exactly the stand-in's keys the guide does not pin: nothing is guessed silently,
    and a guess the guide comes to show (agreeing or not) must leave the list."""
    unpinned = {name: key_paths(spec) - pinned(guide, name) for name, spec in stand_in["services"].items()}
    assert {name: keys for name, keys in unpinned.items() if keys} == GUESSES


def test_the_portal_probe_fetches_what_the_guides_health_check_fetches(guide: ComposeGuide) -> None:
    """The portal probe (alerts/endpoints.py) asks the page and port the "Health Checks" table's
    command for the portal fetches, not a path of our own."""
    [command] = code(guide.rows("Health Checks")["portal"]["Health Check"])
    [url] = [urlsplit(word) for word in command.split() if word.startswith("http")]
    assert (url.path or "/") == PORTAL_PATH
    profile = yaml.safe_load((REPO / "tests" / "profile.yaml").read_text())
    assert profile["targets"]["portal"].rsplit(":", 1)[1] == str(url.port)


def kubernetes_guide(seed: Path) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, str]]:
    """rat-kubernetes.md's manifests by (kind, name), and its DNS table: service -> DNS name."""
    text = (seed / "rat-kubernetes.md").read_text()
    manifests = {
        (d["kind"], d["metadata"]["name"]): d
        for block in re.findall(r"```yaml\n(.*?)```", text, re.S)
        for d in yaml.safe_load_all(block)
        if isinstance(d, dict) and "kind" in d
    }
    dns = dict(re.findall(r"^\| (\w+) \| `([\w.-]+)` \|$", text, re.M))
    return manifests, dns


def test_the_cluster_defaults_are_rat_kubernetes_shapes(seed: Path) -> None:
    """The kubernetes section's defaults select what rat-kubernetes.md defines: ratd's Service by
    its labels and port name, its pods by their labels and container port, and MinIO's, Nessie's
    and Postgres' Services (which it shows only in its DNS table) in RAT's namespace under their
    own names, their pods labelled as every documented Deployment labels its own."""
    manifests, dns = kubernetes_guide(seed)
    k8s = KubernetesSettings()
    service, deployment = manifests[("Service", k8s.ratd_service)], manifests[("Deployment", "ratd")]
    assert k8s.ratd_selector.items() <= service["metadata"]["labels"].items()
    assert k8s.ratd_port in {port["name"] for port in service["spec"]["ports"]}
    pod = deployment["spec"]["template"]
    assert k8s.ratd_pod_selector.items() <= pod["metadata"]["labels"].items()
    profile = yaml.safe_load((REPO / "tests" / "profile.yaml").read_text())
    ratd_port = int(profile["targets"]["ratd"].rsplit(":", 1)[1])  # the PodMonitors' portNumber
    assert ratd_port in {p["containerPort"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
    deployments = [m for (kind, _), m in manifests.items() if kind == "Deployment"]
    assert deployments and all(
        d["spec"]["template"]["metadata"]["labels"] == {"app": d["metadata"]["name"]} for d in deployments
    ), "every documented pod is labelled app: <its service>"
    # Of the documented Services only ratd's carries labels, `app: <its name>`: the default
    # selector of every other job's Service follows it (docs/kubernetes.md says it is a guess).
    assert service["metadata"]["labels"] == {"app": k8s.ratd_service}
    for name in (*IN_CLUSTER_SERVICES, "postgres"):
        monitored = k8s.monitor_of(name)
        assert dns[name] == f"{name}.{monitored.namespace}.svc.cluster.local", name
        assert monitored.selector == {"app": name}, name
