"""Running the external tools: found on PATH, or one line saying how to install them, and
each run under a time limit (settings `limits.tool_timeout`)."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from monitoring_as_code.errors import DefinitionError, Interrupted, ToolError
from monitoring_as_code.validate import verdicts

# Debian package providing each tool (`make test` installs them all).
PACKAGES = {
    "promtool": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
    "git": "git",  # `mac diff REVISION` reads generated/ at a revision
}


def tool_path(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} not found on PATH; install it with: apt-get install {PACKAGES[name]}")
    return path


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return "\n".join(part.strip() for part in (result.stdout, result.stderr) if part.strip())


RUNS: list[str] = []  # the name of every tool this process ran, in order (`--timings` counts them)

DEFAULT_TIMEOUT = 300.0
_timeout = DEFAULT_TIMEOUT
_running: set[subprocess.Popen[str]] = set()  # tools running now, in any thread
_running_lock = threading.Lock()
_stopping = threading.Event()  # set on Ctrl-C: no new tool starts


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Every tool run inside gets at most `seconds` (validators run in threads, so this is the
    one setting they share rather than an argument threaded through each of them)."""
    global _timeout
    previous, _timeout = _timeout, seconds
    try:
        yield
    finally:
        _timeout = previous


def run_command(
    name: str,
    command: list[str],
    cwd: Path | str,
    file: str,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` (the tool `name`, checking `file`) in `cwd`; `env` adds to this process'
    environment. A run past the time limit is killed with everything it started, and is one
    line naming the tool and the file."""
    # Tagged with this run, from its start: a run after this one is SIGKILLed finds it (kill_orphans).
    environment = {**os.environ, **(env or {}), RUN_TAG: _run_id()}
    # A session of its own, so that a timeout or Ctrl-C kills the tool's children too.
    with _running_lock:
        if _stopping.is_set():
            raise Interrupted()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        _running.add(process)
        RUNS.append(name)
    limit = _timeout if timeout is None else min(timeout, _timeout)
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise DefinitionError(
            f"{name} timed out after {limit:g}s (limits.tool_timeout in monitoring.yaml)", file=file
        ) from None
    except BaseException:
        _kill(process)
        raise
    finally:
        with _running_lock:
            _running.discard(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _kill(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


RUN_TAG = "MONITORING_AS_CODE_RUN"  # in every tool's environment: the run that started it


def start_all() -> None:
    """Allow tools to start again (a new validation), after killing the tools a killed run left;
    this run is recorded until finish_all."""
    _stopping.clear()
    kill_orphans()
    with contextlib.suppress(OSError):
        _records().mkdir(parents=True, exist_ok=True)
        (_records() / _run_id()).touch()


def finish_all() -> None:
    """The validation is over and its tools have ended: its record goes."""
    with contextlib.suppress(OSError):
        (_records() / _run_id()).unlink(missing_ok=True)


def _records() -> Path:
    """Where each validating run is recorded: the user's runtime folder (or cache folder), never
    the project (read-only for `check`) and never generated/."""
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "monitoring-as-code" / "runs"


def _started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), None if there is none: with the pid,
    it names one process, whatever reuses the number later."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command's name


def _run_id(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{pid}-{_started(pid)}"


def kill_orphans() -> None:
    """Kill the process group of every tool of a recorded run that has ended without ending its
    tools (a SIGKILLed `mac`): the tools are found by the run's tag in their environment (the pid
    and start time of the run name it, so a reused pid is another run)."""
    try:
        ended = [path for path in _records().iterdir() if _run_id(int(path.name.split("-")[0])) != path.name]
    except (OSError, ValueError):
        return
    if not ended:
        return
    tags = {f"{RUN_TAG}={path.name}".encode() for path in ended}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = set((entry / "environ").read_bytes().split(b"\0"))
        except OSError:
            continue
        if environment & tags:
            with contextlib.suppress(OSError):
                os.killpg(os.getpgid(int(entry.name)), signal.SIGKILL)
    for path in ended:
        path.unlink(missing_ok=True)


def stop_all() -> None:
    """Kill every tool running now, with its children (on Ctrl-C: the tools run in sessions of
    their own, so the terminal's SIGINT does not reach them, and the threads waiting on them
    would otherwise hold the run until they finish)."""
    with _running_lock:
        _stopping.set()
        processes = list(_running)
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def run(
    name: str, args: list[str], cwd: Path, env: Mapping[str, str] | None = None, file: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run a tool found on PATH in `cwd` on `file` (default: the first argument)."""
    return run_command(name, [tool_path(name), *args], cwd, file or (args[-1] if args else ""), env)


VERSION_TIMEOUT = 5.0  # a tool slower than this to tell its version is run, its verdict not cached


def identity(name: str, path: str | None = None) -> str | None:
    """What names the exact tool `name` (at `path`, default: found on PATH): its path, size,
    mtime and inode, and the version it reports (asked once per process, so a wrapper script
    whose binary changed underneath tells). None when it does not tell its version."""
    path = path or tool_path(name)
    stat = os.stat(path)
    binary = f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}"
    with _identity_lock:  # one lock per binary: its validators (in threads) ask it once
        lock = _identity_locks.setdefault(binary, threading.Lock())
    with lock:
        return _identity(name, binary)


_identity_lock = threading.Lock()
_identity_locks: dict[str, threading.Lock] = {}


@functools.cache
def _identity(name: str, binary: str) -> str | None:
    try:
        result = run_command(
            f"{name} --version", [binary.split("\0")[0], "--version"], "/", name, None, VERSION_TIMEOUT
        )
    except DefinitionError:  # timed out
        return None
    version = output_of(result)
    return f"{binary}\0{version}" if result.returncode == 0 and version else None


def verdict_key(
    name: str, args: list[str], env: Mapping[str, str] | None, inputs: bytes, path: str | None = None
) -> str | None:
    """The verdict cache's entry for `name` (at `path`) with `args` (and `env`) over `inputs` (a
    digest of the bytes the tool reads); None when the tool cannot be told apart (not cached)."""
    if not verdicts.enabled() or (tool := identity(name, path)) is None:
        return None
    options = "\0".join([*args, *(f"{k}={v}" for k, v in sorted((env or {}).items()))])
    return verdicts.key(tool, options, inputs)


def run_cached(
    name: str, args: list[str], cwd: Path, inputs: bytes, env: Mapping[str, str] | None = None, file: str = ""
) -> subprocess.CompletedProcess[str]:
    """`run`, unless the same tool passed with the same options on the same `inputs` before (a
    digest of every byte the tool reads); a pass is remembered, a failure never."""
    entry = verdict_key(name, args, env, inputs)
    if entry is not None and verdicts.passed(entry):
        return subprocess.CompletedProcess([name, *args], 0, "", "")
    result = run(name, args, cwd, env, file)
    if entry is not None and result.returncode == 0:
        verdicts.record_pass(entry)
    return result


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
