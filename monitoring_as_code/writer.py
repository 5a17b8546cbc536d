"""The one writer: a whole tree replaced at once, under a lock.

Files are staged in a sibling folder and swapped in with one atomic rename exchange, so a
reader (or a crash) sees either the old tree or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from monitoring_as_code.errors import DefinitionError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def write_files(files: Mapping[str, str], folder: Path, durable: bool = True) -> None:
    """Write `files` (relative path -> text) below `folder`; `durable`: on disk when this returns."""
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    # One syncfs for the whole tree: an fsync per file took seconds for thousands of files.
    if durable and not _sync_filesystem(folder):
        for relative in files:
            with open(folder / relative, "rb") as handle:
                os.fsync(handle.fileno())


def _sync_filesystem(folder: Path) -> bool:
    """Flush the filesystem holding `folder` (Linux syncfs); False where the system cannot."""
    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return False
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        return bool(syncfs(descriptor) == 0)
    finally:
        os.close(descriptor)


def stage(files: Mapping[str, str], target: Path) -> Path:
    """A new folder beside `target` holding `files`; the caller swaps it in or removes it."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        write_files(files, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(err, os.strerror(err), str(a))


def swap_in(staging: Path, target: Path) -> None:
    """Make `staging` the new `target`; the old tree is removed afterwards."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging)
        return
    old = target.with_name(f".{target.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old)


@contextlib.contextmanager
def locked(target: Path, wait: float = 30.0, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock beside `target`; two generators never interleave. `on_wait` is
    told once, with a message, when another run holds the lock and this one starts waiting."""
    lock_path = target.with_name(f".{target.name}.lock")
    with open(lock_path, "w") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(f"another run is writing {target}; waiting up to {wait:.0f}s (lock {lock_path})")
                    on_wait = None
                if time.monotonic() >= deadline:
                    raise DefinitionError(
                        f"another run holds the lock for {wait:.0f}s; gave up", file=str(lock_path)
                    ) from None
                time.sleep(0.1)
        yield
