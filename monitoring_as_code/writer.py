"""The one writer: a whole tree replaced at once, under a lock.

Files are staged in a sibling folder and swapped in with one atomic rename exchange, so a
reader (or a crash) sees either the old tree or the new one, never a mix. Where that cannot be
done without losing or hiding something (generated/ is a symlink, a file, a mount point,
read-only, or on a read-only filesystem) the writer refuses before staging anything.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from monitoring_as_code.errors import DefinitionError

_AT_FDCWD = -100
_OCTAL = re.compile(r"\\([0-7]{3})")
_RENAME_EXCHANGE = 2


# Whatever the umask: the containers read generated/ as other, non-root users, and nothing in it
# is private (secrets stay in secrets/, outside generated/).
FOLDER_MODE, FILE_MODE = 0o755, 0o644


def write_files(files: Mapping[str, str], folder: Path, durable: bool = True) -> None:
    """Write `files` (relative path -> text) below `folder`, folders FOLDER_MODE and files
    FILE_MODE; `durable`: on disk when this returns."""
    made: set[Path] = set()
    if not folder.is_dir():
        folder.mkdir(parents=True)
        os.chmod(folder, FOLDER_MODE)
    for relative, text in files.items():
        path = folder / relative
        for parent in reversed(path.relative_to(folder).parents[:-1]):
            if parent not in made:
                made.add(parent)
                with contextlib.suppress(FileExistsError):
                    os.mkdir(folder / parent)
                os.chmod(folder / parent, FOLDER_MODE)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
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


def check_replaceable(target: Path) -> None:
    """Refuse, before anything is written, a `target` the atomic swap would mishandle."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise DefinitionError(
                "is a symlink; mac writes a real directory, point the symlink's users at it", file=str(target)
            )
        if not stat.S_ISDIR(info.st_mode):
            raise DefinitionError("is not a directory; move it away, mac writes a directory here", file=str(target))
        if _is_mount_point(target):
            raise DefinitionError(
                "is a mount point, which mac cannot replace by rename; mount the folder above it instead",
                file=str(target),
            )
        if not info.st_mode & stat.S_IWUSR:
            mode = stat.S_IMODE(info.st_mode)
            raise DefinitionError(f"is read-only (mode {mode:04o}); make it writable to regenerate", file=str(target))
    parent = target.parent
    if os.statvfs(parent).f_flag & os.ST_RDONLY:
        raise DefinitionError("is on a read-only filesystem; generate on a writable checkout", file=str(target))
    if not os.access(parent, os.W_OK):
        raise DefinitionError(f"cannot write in {parent} (permission denied)", file=str(target))


def _is_mount_point(path: Path) -> bool:
    """A mount point, a bind mount within one filesystem included (os.path.ismount misses those:
    same device as the parent), from the kernel's table where there is one."""
    if os.path.ismount(path):
        return True
    try:
        table = Path("/proc/self/mountinfo").read_text()
    except OSError:
        return False
    real = os.path.realpath(path)
    # Field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
    points = {_OCTAL.sub(lambda m: chr(int(m.group(1), 8)), line.split()[4]) for line in table.splitlines() if line}
    return real in points


def remove_leftovers(target: Path) -> None:
    """Remove staging folders of runs that were killed (`kill -9` skips every cleanup); only
    under the lock, so no live run's staging folder is among them."""
    for leftover in target.parent.glob(f".{target.name}-*"):
        if leftover.is_dir() and not leftover.is_symlink():
            _remove_tree(leftover)


def _remove_tree(folder: Path) -> None:
    """Delete a tree of ours, making read-only folders in it writable first."""

    def make_writable_and_retry(function: Callable[..., object], path: str, _: object) -> None:
        os.chmod(os.path.dirname(path), 0o700)
        function(path)

    shutil.rmtree(folder, onerror=make_writable_and_retry)


def stage(files: Mapping[str, str], target: Path) -> Path:
    """A new folder beside `target` holding `files`; the caller swaps it in or removes it."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        # mkdtemp makes a private folder (0700); generated/ is read by other users and containers.
        os.chmod(staging, FOLDER_MODE)
    except OSError as exc:
        raise DefinitionError(f"cannot create a staging folder: {exc.strerror}", file=str(target.parent)) from exc
    try:
        write_files(files, staging)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise DefinitionError(
            f"cannot write the new tree: {exc.strerror}; {target} is unchanged", file=str(target)
        ) from exc
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
        _remove_tree(staging)  # now the old tree
        return
    old = target.with_name(f".{target.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old)


@contextlib.contextmanager
def locked(target: Path, wait: float = 30.0, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the folder holding `target`; two generators never interleave.
    The lock is the folder itself (flock on a read-only descriptor), so `check` and `validate`
    work on a read-only checkout. `on_wait` is told once, with a message, when another run
    holds the lock and this one starts waiting."""
    descriptor = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(f"another run is writing {target}; waiting up to {wait:.0f}s (lock on {target.parent})")
                    on_wait = None
                if time.monotonic() >= deadline:
                    raise DefinitionError(
                        f"another run holds the lock for {wait:.0f}s; gave up", file=str(target.parent)
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(descriptor)
