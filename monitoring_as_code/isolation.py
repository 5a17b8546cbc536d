"""Definitions run in a child process: whatever they do (exit, signal themselves, hang with every
signal blocked, close fds, start processes, delete files), the run ends with one line.

The child is a fork of `mac` after the engine is imported (no second interpreter, no import
twice), in a process group of its own, confined by sandbox.py. It sends each piece of its result
as plain data (plain.py) as soon as it has it, so that the parent checks one piece while the child
works on the next, and it says which module it is in, so that the parent can name it. The parent
alone keeps time (limits.definition_timeout, per import or define()): at the deadline it asks the
child to stop (SIGUSR1, so that the error names the line), kills the child's whole process group
if it has not within a grace, and kills the group in any case when the child is done."""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import select
import signal
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from monitoring_as_code import plain, sandbox
from monitoring_as_code.errors import DefinitionError

_HEADER = struct.Struct("!I")
_PROGRESS, _PIECE, _ERROR, _DONE = b"P", b"D", b"E", b"F"
_MAX_RESULT = 1 << 30  # bytes: a child sending more is stopped (memory, not patience)
_RESET = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE)
_CRASHED = 70  # the child's exit code when even reporting failed
# At the deadline the child is asked first (so that the error names the line it was stuck on), and
# killed if it has not answered within the grace.
_OVERRAN = signal.SIGUSR1
_GRACE = 2.0


class _Child:
    """What the child process knows about itself (None in the parent)."""

    channel: int | None = None
    layers: tuple[str, ...] = ()
    timeout = 0.0


class Overran(BaseException):
    """Raised into definition code still running at the deadline (a BaseException, so that the
    definition's own `except Exception` does not swallow it; one that swallows this too is killed)."""


def _overran(signum: int, frame: object) -> None:
    raise Overran(f"still running after {_Child.timeout:g}s, stopped (limits.definition_timeout)")


def in_child() -> bool:
    return _Child.channel is not None


def _send(tag: bytes, payload: bytes = b"") -> None:
    message = _HEADER.pack(len(payload) + 1) + tag + payload
    assert _Child.channel is not None
    view = memoryview(message)
    while view:
        view = view[os.write(_Child.channel, view) :]


def entering(file: str, phase: str) -> None:
    """Tell the parent that definition code starts: its clock restarts, and it names `file` if
    this phase never ends."""
    if in_child():
        _send(_PROGRESS, marshal.dumps((file, phase)))


def leftover_process() -> int | None:
    """A process the definitions started that is still running (the child is a subreaper, so
    orphans count too): its pid. In the parent, never (its children are not definitions')."""
    if not in_child():
        return None
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return None
        if pid == 0:
            return _running_child() or -1
        # One that has ended already is reaped, and the next looked at.


def _running_child() -> int | None:
    with contextlib.suppress(OSError):
        me = os.getpid()
        for task in os.listdir(f"/proc/{me}/task"):
            children = Path(f"/proc/{me}/task/{task}/children").read_text().split()
            if children:
                return int(children[0])
    return None


class Exited(BaseException):
    """os._exit called by a definition (the child's own exit keeps the real one): its error,
    raised where it was called."""


def _refused_exit(code: int) -> None:
    raise Exited(f"called os._exit({code})")


def run(
    pieces: Callable[..., Iterator[Any]], args: tuple[Any, ...], timeout: float, writable: Iterable[Path] = ()
) -> list[Any]:
    """Every piece `pieces(*args)` yields, computed in a confined child and rebuilt here; the
    child may write only below `writable` (each made if missing, its parent existing). A
    DefinitionError in the child is raised here; so is anything else that ends it."""
    for stream in (sys.stdout, sys.stderr):  # what is buffered would be written twice
        with contextlib.suppress(Exception):
            stream.flush()
    reader, writer = os.pipe()
    gc.freeze()  # the collector would write to every page the child shares with us
    pid = os.fork()
    if pid == 0:
        _child(reader, writer, pieces, args, timeout, tuple(writable))
    gc.unfreeze()
    os.close(writer)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # the child does it too: whichever runs first
    try:
        return _receive(pid, reader, timeout)
    finally:
        os.close(reader)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)  # whatever it left running
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _child(
    reader: int,
    writer: int,
    pieces: Callable[..., Iterator[Any]],
    args: tuple[Any, ...],
    timeout: float,
    writable: tuple[Path, ...],
) -> None:
    exit_now = os._exit
    code = _CRASHED
    try:
        os.setpgid(0, 0)
        for signum in _RESET:
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(_OVERRAN, _overran)
        os.close(reader)
        _Child.channel, _Child.timeout = writer, timeout
        _detach_streams(writer)
        for folder in writable:
            with contextlib.suppress(OSError):
                folder.mkdir(exist_ok=True)
        _Child.layers = sandbox.confine(writable)
        os._exit = _refused_exit  # type: ignore[assignment]  # a definition's exit is its error, with its line
        os.register_at_fork(after_in_child=lambda: _forked(exit_now))
        try:
            for piece in pieces(*args):
                _send(_PIECE, plain.dumps(piece))
            _send(_DONE)
        except DefinitionError as exc:
            _send(_ERROR, marshal.dumps((exc.message, exc.obj, exc.file, exc.details)))
        except (MemoryError, RecursionError) as exc:
            message = f"input too large: {type(exc).__name__} (see the limits in the README)"
            _send(_ERROR, marshal.dumps((message, "", "", "")))
        except Overran as exc:  # between two modules: no line to name
            _send(_ERROR, marshal.dumps((f"the definitions are {exc}", "", "", "")))
        except BaseException as exc:  # a bug of ours in the child: still one line
            _send(_ERROR, marshal.dumps((f"unexpected {type(exc).__name__}: {exc}", "", "", "")))
        code = 0
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
        exit_now(code)


def _forked(exit_now: Callable[[int], None]) -> None:
    """A process a definition forks is not the child: it cannot speak for it, and exits for real."""
    os._exit = exit_now  # type: ignore[assignment]
    if _Child.channel is not None and _Child.channel >= 0:
        os.close(_Child.channel)
        _Child.channel = -1


def _detach_streams(channel: int) -> None:
    """stdin from /dev/null (no reading or typing into the terminal), stdout to stderr (a
    definition's print must not mix into `mac list`), no other descriptor of the parent's."""
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    try:
        os.dup2(2, 1)
    except OSError:  # stderr is closed
        os.dup2(null, 1)
        os.dup2(null, 2)
    os.closerange(3, channel)
    os.closerange(channel + 1, 1 << 16)


def _receive(pid: int, reader: int, timeout: float) -> list[Any]:
    """Read the child's messages until it is done, rebuilding each piece as it comes."""
    pieces: list[Any] = []
    rebuilder = plain.Rebuilder()
    buffer = bytearray()
    where = ("", "loading the definitions")
    deadline = time.monotonic() + timeout
    asked = False
    ended = os.pidfd_open(pid)  # readable once the child has ended (a grandchild may hold the pipe)
    poller = select.poll()
    poller.register(reader, select.POLLIN)
    poller.register(ended, select.POLLIN)
    try:
        while True:
            if os.get_blocking(reader):
                left = deadline - time.monotonic()
                events = {fd for fd, _ in poller.poll(max(left, 0) * 1000)}
                if not events:
                    if time.monotonic() < deadline:
                        continue
                    file, phase = where
                    if not asked:  # its answer is an error naming the line, or it is killed
                        asked, deadline = True, time.monotonic() + _GRACE
                        with contextlib.suppress(OSError):
                            os.kill(pid, _OVERRAN)
                        continue
                    raise DefinitionError(
                        f"{phase} still running after {timeout:g}s, stopped (limits.definition_timeout)", file=file
                    )
                if ended in events:
                    os.set_blocking(reader, False)  # what it sent before it ended, then stop
            try:
                chunk = os.read(reader, 1 << 20)
            except BlockingIOError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            if len(buffer) > _MAX_RESULT:
                raise DefinitionError(f"the definitions' result is over {_MAX_RESULT >> 20} MiB", file=where[0])
            while len(buffer) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(buffer)
                if size == 0:
                    raise DefinitionError("the definitions' process sent something unreadable", file=where[0])
                if len(buffer) < _HEADER.size + size:
                    break
                tag = bytes(buffer[_HEADER.size : _HEADER.size + 1])
                message = bytes(buffer[_HEADER.size + 1 : _HEADER.size + size])
                del buffer[: _HEADER.size + size]
                if tag == _PROGRESS and not asked:
                    where = _progress(message)
                    deadline = time.monotonic() + timeout
                elif tag == _PIECE:
                    pieces.append(rebuilder.loads(message))
                elif tag == _ERROR:
                    raise _error(message)
                elif tag == _DONE:
                    return pieces
                else:
                    raise DefinitionError("the definitions' process sent something unreadable", file=where[0])
    finally:
        os.close(ended)
    file, phase = where
    raise DefinitionError(f"{phase} ended the definitions' process ({_how_it_ended(pid)}); {_ONLY}", file=file)


_ONLY = "a definition only returns objects"


def _progress(message: bytes) -> tuple[str, str]:
    with contextlib.suppress(EOFError, ValueError, TypeError):
        file, phase = marshal.loads(message)
        if isinstance(file, str) and isinstance(phase, str):
            return file, phase
    raise DefinitionError("the definitions' process sent something unreadable")


def _error(message: bytes) -> DefinitionError:
    with contextlib.suppress(EOFError, ValueError, TypeError):
        text, obj, file, details = marshal.loads(message)
        if all(isinstance(part, str) for part in (text, obj, file, details)):
            error = DefinitionError(text, obj=obj, file=file)
            error.details = details
            return error
    return DefinitionError("the definitions' process sent something unreadable")


def _how_it_ended(pid: int) -> str:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "it ended"
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    if os.WIFEXITED(status):
        return f"exit {os.WEXITSTATUS(status)}"
    return "it ended"
