"""The real monitoring stack on 127.0.0.1 for the end-to-end tests: Prometheus, Alertmanager,
blackbox_exporter and node_exporter from Debian's packages, configured with files rendered by
the project's own renderers under the e2e settings profile (production settings with the
overrides in profile.yaml), scraping the simulated RAT, and a real PostgreSQL with Debian's
postgres_exporter (tests/e2e/postgres.py) in place of RAT's Postgres."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import yaml

from monitoring_as_code import pipeline
from monitoring_as_code.outputs.compose.secrets import MINIO_PROMETHEUS_TOKEN_FILE
from monitoring_as_code.settings import Settings
from monitoring_as_code.writer import write_files
from tests.conftest import REPO, TEST_PROFILE
from tests.e2e.postgres import RealPostgres
from tests.sim.rat import SimulatedRat

PROFILE = Path(__file__).with_name("profile.yaml")
PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
T = TypeVar("T")
# Of each process's log, how many of the last lines that are not info a failure report shows.
DIAGNOSIS_LINES = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0, every: float = 0.1) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except OSError as exc:
            last_error = exc
        time.sleep(every)
    raise AssertionError(
        f"timed out after {timeout:.0f}s waiting for {what}" + (f" ({last_error})" if last_error else "")
    )


def _unix(timestamp: str) -> float:
    """Prometheus' RFC 3339 timestamps, nanoseconds and all."""
    whole, _, fraction = timestamp.rstrip("Z").partition(".")
    seconds = datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp()
    return seconds + float(f"0.{fraction or 0}")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def merge_profile(production: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """Production settings with the profile's keys replaced, one level below each section."""
    merged = dict(production)
    for section, values in profile.items():
        if isinstance(values, dict) and isinstance(merged.get(section), dict):
            merged[section] = {**merged[section], **values}
        else:
            merged[section] = values
    return merged


class Webhooks:
    """Collects what Alertmanager posts, per receiver path."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, Any]]] = {}
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hooks.received.setdefault(self.path.strip("/"), []).append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def alertnames(self, receiver: str) -> set[str]:
        return {a["labels"]["alertname"] for body in self.received.get(receiver, []) for a in body["alerts"]}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Stack:
    def __init__(
        self,
        workdir: Path,
        sim: SimulatedRat,
        hooks: Webhooks,
        settings: Settings,
        ports: dict[str, int],
        postgres: RealPostgres,
    ) -> None:
        self.workdir, self.sim, self.hooks, self.settings, self.ports = workdir, sim, hooks, settings, ports
        self.postgres = postgres
        self.started = time.time()  # before any process of the stack starts
        self.project = pipeline.Project(root=REPO, settings_path=workdir / "monitoring.yaml")
        self.commands: dict[str, list[str]] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: list[str] | None = None) -> None:
        """Start (or restart) one process of the stack, its output appended to logs/NAME.log."""
        self.commands[name] = args or self.commands[name]
        handle = open(self.workdir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the process holds it
        self.processes[name] = subprocess.Popen(self.commands[name], stdout=handle, stderr=subprocess.STDOUT)
        handle.close()

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    @contextmanager
    def stopped(self, name: str) -> Iterator[None]:
        """One process of the stack down for the block, then started again as it was."""
        self.stop(name)
        try:
            yield
        finally:
            self.start(name)

    @property
    def prometheus(self) -> str:
        return f"http://127.0.0.1:{self.ports['prometheus']}"

    @property
    def alertmanager(self) -> str:
        return f"http://127.0.0.1:{self.ports['alertmanager']}"

    def query(self, expr: str) -> list[dict[str, Any]]:
        url = f"{self.prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        return get_json(url)["data"]["result"]

    def all_targets_up(self) -> bool:
        """Every target Prometheus scrapes (its active targets, from the generated scrape configs)
        is up, and there are some."""
        targets = self.active_targets()
        return bool(targets) and len(self.query("up == 1")) == len(targets)

    def active_targets(self) -> list[dict[str, Any]]:
        return get_json(f"{self.prometheus}/api/v1/targets?state=active")["data"]["activeTargets"]

    def diagnosis(self) -> str:
        """What a failed test's report shows of the stack: each target's health and last error,
        and each process's last lines that are not info, so that a failure on CI can be read
        without the stack that ran it."""
        lines = []
        try:
            targets = self.active_targets()
        except OSError as exc:
            targets = []
            lines.append(f"Prometheus targets unreadable: {exc}")
        for target in targets:
            job, health = target["labels"].get("job", "?"), target["health"]
            took = target.get("lastScrapeDuration", 0.0)
            lines.append(f"target {job} {target['scrapeUrl']}: {health}, {took:.3f}s {target.get('lastError', '')}")
        for log in sorted((self.workdir / "logs").glob("*.log")):
            noteworthy = [line for line in log.read_text(errors="replace").splitlines() if "level=info" not in line]
            lines += [f"{log.stem}: {line}" for line in noteworthy[-DIAGNOSIS_LINES:]]
        server_log = self.postgres.dir / "log"
        if server_log.exists():
            refusals = [line for line in server_log.read_text(errors="replace").splitlines() if "FATAL" in line]
            lines += [f"postgres: {line}" for line in refusals[-DIAGNOSIS_LINES:]]
        return "\n".join(lines)

    def last_evaluation(self) -> float:
        """The oldest of the rule groups' last evaluation times (Unix seconds)."""
        groups = get_json(f"{self.prometheus}/api/v1/rules")["data"]["groups"]
        return min(_unix(g["lastEvaluation"]) for g in groups)

    def wait_evaluations(self, count: int) -> None:
        """Until every rule group has been evaluated `count` more times."""
        since = self.last_evaluation()
        step = self.settings.intervals.evaluation
        wait_for(f"{count} rule evaluations", lambda: self.last_evaluation() >= since + count * step)

    def firing(self) -> dict[str, list[dict[str, Any]]]:
        """Firing alerts in Prometheus, by name."""
        out: dict[str, list[dict[str, Any]]] = {}
        for alert in get_json(f"{self.prometheus}/api/v1/alerts")["data"]["alerts"]:
            if alert["state"] == "firing":
                out.setdefault(alert["labels"]["alertname"], []).append(alert)
        return out

    def alertmanager_alerts(self, name: str) -> list[dict[str, Any]]:
        """Alertmanager's active (not resolved) alerts of that name, inhibited ones included."""
        query = urllib.parse.urlencode({"filter": f'alertname="{name}"'})
        alerts = get_json(f"{self.alertmanager}/api/v2/alerts?{query}")
        return [a for a in alerts if a["status"]["state"] != "resolved"]

    def route(self, labels: dict[str, str]) -> str:
        config = self.workdir / "generated/alertmanager/alertmanager.yml"
        args = ["amtool", "config", "routes", "test", f"--config.file={config}"]
        result = subprocess.run([*args, *(f"{k}={v}" for k, v in labels.items())], capture_output=True, text=True)
        return result.stdout.strip()


@contextmanager
def running_stack(workdir: Path, rat_profile: str) -> Iterator[Stack]:
    """Start everything, watching a simulated RAT of `rat_profile`, and stop every process on the
    way out, whatever happened in between."""
    with ExitStack() as cleanup:
        textfiles = workdir / "textfile"
        textfiles.mkdir()
        production = yaml.safe_load(TEST_PROFILE.read_text())
        profile = yaml.safe_load(PROFILE.read_text())
        sim = SimulatedRat(textfiles, max_concurrent=production["runner"]["max_concurrent"], profile=rat_profile)
        cleanup.callback(sim.stop)
        hooks = Webhooks()
        cleanup.callback(hooks.close)
        postgres = RealPostgres(free_port())
        cleanup.callback(postgres.remove)
        postgres.init()
        ports = {
            name: free_port()
            for name in ("prometheus", "alertmanager", "blackbox", "node_exporter", "postgres_exporter")
        }
        profile["targets"] = {
            "ratd": sim.ratd_address,
            "cadvisor": sim.cadvisor_address,
            "blackbox": f"127.0.0.1:{ports['blackbox']}",
            "node_exporter": f"127.0.0.1:{ports['node_exporter']}",
            "prometheus": f"127.0.0.1:{ports['prometheus']}",
            "alertmanager": f"127.0.0.1:{ports['alertmanager']}",
            "nessie": sim.nessie_address,
            "postgres_exporter": f"127.0.0.1:{ports['postgres_exporter']}",
            "minio": sim.minio_address,
            "nessie_metrics": sim.nessie_metrics_address,
            "portal": sim.portal_address,
            "ratd_internal": sim.ratd_address,  # ratd mirrors its health routes on the internal listener
        }
        profile["rat"] = {"profile": rat_profile}
        for receiver in profile["alertmanager"]["receivers"].values():
            receiver["url"] = receiver["url"].replace("WEBHOOKS", hooks.base)
        settings_path = workdir / "monitoring.yaml"
        settings_path.write_text(yaml.safe_dump(merge_profile(production, profile), sort_keys=False))

        project = pipeline.Project(root=REPO, settings_path=settings_path)
        bundle = pipeline.load_linted(project)
        generated = workdir / "generated"
        files = pipeline.render(bundle)
        # Prometheus runs on this host, not in its container: MinIO's token is where the Compose
        # secret would be mounted there, written here instead.
        token = workdir / "minio-prometheus-token"
        token.write_text(sim.minio_token)
        config = files[PROMETHEUS_CONFIG]
        files[PROMETHEUS_CONFIG] = config.replace(MINIO_PROMETHEUS_TOKEN_FILE, str(token))
        write_files(files, generated)

        logs = workdir / "logs"
        logs.mkdir()
        commands = {
            "node_exporter": [
                "prometheus-node-exporter",
                f"--web.listen-address=127.0.0.1:{ports['node_exporter']}",
                "--collector.disable-defaults",
                "--collector.filesystem",
                "--collector.textfile",
                f"--collector.textfile.directory={textfiles}",
            ],
            "blackbox": [
                "prometheus-blackbox-exporter",
                f"--config.file={generated / 'blackbox/blackbox.yml'}",
                f"--web.listen-address=127.0.0.1:{ports['blackbox']}",
            ],
            "alertmanager": [
                "prometheus-alertmanager",
                f"--config.file={generated / 'alertmanager/alertmanager.yml'}",
                f"--storage.path={workdir / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{ports['alertmanager']}",
                "--cluster.listen-address=",
            ],
            "postgres_exporter": postgres.exporter_command(f"127.0.0.1:{ports['postgres_exporter']}"),
            "prometheus": [
                "prometheus",
                f"--config.file={generated / 'prometheus/prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
                # Alerts that fire at the very first evaluation (the Watchdog) can precede the
                # notifier's discovery of Alertmanager; they are re-sent after this delay (1m by default).
                "--rules.alert.resend-delay=1s",
            ],
        }
        stack = Stack(workdir, sim, hooks, bundle.settings, ports, postgres)
        sim.start()
        cleanup.callback(stack.stop_all)
        for name, args in commands.items():
            stack.start(name, args)
        wait_for("Prometheus to answer", lambda: get_json(f"{stack.prometheus}/api/v1/status/buildinfo"))
        yield stack
