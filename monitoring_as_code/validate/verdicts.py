"""The verdict cache: a tool's pass on exact bytes, remembered in the user's cache folder so an
unchanged input is not checked again. Only passes are stored: a failure always runs the tool.

An entry's key is a digest of everything the verdict depends on: the bytes checked, the tool
(its path, size, mtime and inode, and the version it reports), the options, and mac itself (its
version and the validators' source). Entries are written to a temporary file and renamed into
place, and each carries its payload's length and digest: a run killed mid-write, a concurrent
run or a damaged disk leaves at worst an entry that fails the check, which is a miss."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import struct
import tempfile
from collections.abc import Iterable
from pathlib import Path

MAGIC = b"mac-verdict-1\n"
_HEADER = struct.Struct(">Q32s")  # the payload's length and sha256
PASS = b"pass"
LIMIT_BYTES = 32 * 1024 * 1024  # the folder's bound; the least recently used entries go first
_enabled = True


def use(enabled: bool) -> None:
    """Turn the cache on or off for this process (`mac --no-cache` turns it off)."""
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    return _enabled


def folder() -> Path:
    """The user's cache folder, never the project nor generated/."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "monitoring-as-code" / "verdicts"


@functools.cache
def _mac_identity() -> bytes:
    """mac's version and the validators' own source: a change to how a tool is called or read
    invalidates every verdict, even in an editable install whose version stays the same."""
    from importlib import metadata  # slow to import, and needed only once a tool runs

    digest = hashlib.sha256(metadata.version("monitoring-as-code").encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.digest()


def key(*parts: bytes | str) -> str:
    """The entry name for a verdict depending on `parts` (and on mac itself)."""
    digest = hashlib.sha256(_mac_identity())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(struct.pack(">Q", len(data)))  # ("ab", "c") is not ("a", "bc")
        digest.update(data)
    return digest.hexdigest()


def files_digest(tree: Path, files: Iterable[str]) -> bytes:
    """The names and exact bytes of `files` (relative to `tree`)."""
    digest = hashlib.sha256()
    for name in files:
        data = (tree / name).read_bytes()
        digest.update(struct.pack(">QQ", len(name.encode()), len(data)) + name.encode() + data)
    return digest.digest()


def tree_digest(tree: Path) -> bytes:
    """Every file of `tree`: for a tool that may read any of them (a config naming others)."""
    return files_digest(tree, sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file()))


def read(name: str) -> bytes | None:
    """The payload of entry `name`, None when there is none or it fails its check."""
    if not _enabled:
        return None
    path = folder() / name
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + _HEADER.size
    if not data.startswith(MAGIC) or len(data) < head:
        return None
    length, checksum = _HEADER.unpack_from(data, len(MAGIC))
    payload = data[head:]
    if len(payload) != length or hashlib.sha256(payload).digest() != checksum:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: evicted last
    return payload


def write(name: str, payload: bytes) -> None:
    """Store `payload` as entry `name`, atomically; a cache that cannot be written is no cache."""
    if not _enabled:
        return
    target = folder()
    with contextlib.suppress(OSError):
        target.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(MAGIC + _HEADER.pack(len(payload), hashlib.sha256(payload).digest()) + payload)
            os.replace(temporary, target / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def passed(name: str) -> bool:
    return read(name) == PASS


def record_pass(name: str) -> None:
    write(name, PASS)


def evict(limit: int = LIMIT_BYTES) -> None:
    """Keep the folder under `limit` bytes: the least recently used entries go first (a
    temporary file a killed run left is among the oldest)."""
    if not _enabled:
        return
    entries = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder()):
            with contextlib.suppress(OSError):
                stat = entry.stat()
                entries.append((stat.st_mtime, stat.st_size, entry.path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
        total -= size
