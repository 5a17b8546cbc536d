"""Running the external tools: found on PATH, or one line saying how to install them."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from monitoring_as_code.errors import DefinitionError, ToolError

# Debian package providing each tool (`make test` installs them all).
PACKAGES = {
    "promtool": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
}


def tool_path(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} not found on PATH; install it with: apt-get install {PACKAGES[name]}")
    return path


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return "\n".join(part.strip() for part in (result.stdout, result.stderr) if part.strip())


def run(
    name: str, args: list[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a tool in `cwd`; `env` adds to (or overrides) this process' environment."""
    environment = {**os.environ, **env} if env else None
    return subprocess.run(
        [tool_path(name), *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )


def failure(file: str, check: str, result: subprocess.CompletedProcess[str]) -> DefinitionError:
    """A finding of a tool: one line naming the file and the check, the tool's output as details."""
    error = DefinitionError(f"{check} failed (exit {result.returncode})", file=file)
    error.details = output_of(result)
    return error


def require(tree: Path, relative: str) -> Path:
    path = tree / relative
    if not path.is_file():
        raise DefinitionError("missing", file=relative)
    return path
