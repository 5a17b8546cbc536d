"""A real, throw-away PostgreSQL (Debian's postgresql package) for the end-to-end tests: its own
cluster in a temporary folder, on a free loopback port, with the monitoring role created by the
SQL docs/postgres.md gives, and client sessions the tests hold open to stage faults (connections
exhausted, a transaction left open).

initdb refuses to run as root: as root, every server command runs as the `postgres` user the
package creates."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import REPO

DATABASE = "rat"
SUPERUSER = "rat"
MONITOR_PASSWORD = "monitor-password"
# Small, so that a test exhausts it with a few sessions.
MAX_CONNECTIONS = 12
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)
TIMEOUT = 30


def server_binary(name: str) -> str:
    """A server program of Debian's postgresql package: not on PATH, under its major version's bin."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if found is None:
        raise AssertionError(f"{name} not found: `make tools` installs Debian's postgresql package")
    return found


def monitoring_role_sql(password: str) -> str:
    """The SQL of docs/postgres.md that creates the monitoring role, with a password."""
    text = (REPO / "docs" / "postgres.md").read_text()
    return SQL_BLOCK.findall(text)[0].replace("'<password>'", f"'{password}'")


class RealPostgres:
    def __init__(self, port: int) -> None:
        # Not under pytest's tmp_path: its parents are closed to the postgres user.
        self.dir = Path(tempfile.mkdtemp(prefix="mac-postgres-"))
        self.port = port
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        self.data = self.dir / "data"
        self.password_file = self.dir / "monitor-password"
        self.password_file.write_text(MONITOR_PASSWORD)
        self.password_file.chmod(0o600)
        self.sessions: list[subprocess.Popen[str]] = []

    def _server(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=TIMEOUT)

    def init(self) -> None:
        self._server(server_binary("initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust")
        self.start()
        self.psql("postgres", f"CREATE DATABASE {DATABASE}")
        self.psql(DATABASE, monitoring_role_sql(MONITOR_PASSWORD))

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections={MAX_CONNECTIONS}"
        self._server(
            server_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )

    def stop(self) -> None:
        self.release()
        self._server(server_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @contextmanager
    def stopped(self) -> Iterator[None]:
        self.stop()
        try:
            yield
        finally:
            self.start()

    def psql(self, database: str, sql: str) -> str:
        result = subprocess.run(
            ["psql", *self._client(database), "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            check=True,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        return result.stdout.strip()

    def _client(self, database: str) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database, "-X", "-q"]

    def hold(self, sql: str = "SELECT 1;") -> None:
        """A session that runs `sql` and stays connected until release()."""
        session = subprocess.Popen(
            ["psql", *self._client(DATABASE)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        assert session.stdin is not None
        session.stdin.write(sql + "\n")
        session.stdin.flush()
        self.sessions.append(session)

    def release(self) -> None:
        for session in self.sessions:
            session.kill()
            session.wait(TIMEOUT)
        self.sessions.clear()

    def connections(self) -> int:
        return int(self.psql(DATABASE, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"))

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def exporter_command(self, listen: str) -> list[str]:
        """Debian's postgres_exporter (0.11) as the override runs the pinned one: the same
        environment, logging in as the monitoring role with the password from a file."""
        return [
            "env",
            f"DATA_SOURCE_URI=127.0.0.1:{self.port}/{DATABASE}?sslmode=disable",
            "DATA_SOURCE_USER=rat_monitor",
            f"DATA_SOURCE_PASS_FILE={self.password_file}",
            "prometheus-postgres-exporter",
            f"--web.listen-address={listen}",
        ]
