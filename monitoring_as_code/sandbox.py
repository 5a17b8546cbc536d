"""Confine the definitions' child process (isolation.py), with what the kernel offers a process
without privileges, detected at run time (docs/hardening.md says what each layer stops and what
it does not):

- Landlock: no write, removal, rename, truncation or device ioctl anywhere, except the
  definition folders' `__pycache__` and /dev/null; no signal or ptrace to a process outside the
  child (Linux 5.13+; signals from ABI 6, Linux 6.12).
- seccomp: no chmod, chown, utime or xattr change (Landlock does not cover them), no setsid or
  setpgid (every process the child starts stays in its process group, which the parent kills),
  no ptrace or process_vm_writev, no TIOCSTI (typing into the terminal).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
from collections.abc import Iterable
from pathlib import Path

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2

# Landlock (linux/landlock.h): the syscalls have one number on every architecture.
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_WRITE_FILE = 1 << 1
_DIRECTORY_WRITES = sum(1 << bit for bit in (4, 5, 6, 7, 8, 9, 10, 11, 12))  # remove_*, make_*
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

# seccomp: the refused syscalls per architecture (audit arch, numbers), and ioctl's number.
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_REFUSED = {
    # chmod fchmod fchmodat fchmodat2 chown fchown lchown fchownat utime utimes futimesat utimensat
    # setxattr lsetxattr fsetxattr removexattr lremovexattr fremovexattr setxattrat removexattrat
    # setsid setpgid ptrace process_vm_writev
    "x86_64": (
        *(90, 91, 268, 452, 92, 93, 94, 260, 132, 235, 261, 280),
        *(188, 189, 190, 197, 198, 199, 463, 466, 112, 109, 101, 311),
    ),
    # fchmod fchmodat fchmodat2 fchown fchownat utimensat (the others exist only as *at), the
    # xattr six and their *at pair, setsid setpgid ptrace process_vm_writev
    "aarch64": (52, 53, 452, 55, 54, 88, 5, 6, 7, 14, 15, 16, 463, 466, 157, 154, 117, 271),
}
_IOCTL = {"x86_64": 16, "aarch64": 29}
_TIOCSTI = 0x5412
_X32_SYSCALL_BIT = 0x40000000
_RET_ALLOW, _RET_KILL_PROCESS = 0x7FFF0000, 0x80000000
_RET_EPERM = 0x00050000 | errno.EPERM
_LD_ABS, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06
_NR, _ARCH, _ARG1 = 0, 4, 16 + 8  # offsets in struct seccomp_data (the low half of args[1])


def landlock_abi() -> int:
    """Landlock's ABI version in this kernel, 0 where it has none (or it is disabled)."""
    version = _libc.syscall(_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION)
    return max(int(version), 0)


def _prctl(option: int, value: int) -> bool:
    return bool(_libc.prctl(option, value, 0, 0, 0) == 0)


def _landlock(abi: int, writable: Iterable[Path]) -> None:
    file_rights = _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0) | (_IOCTL_DEV if abi >= 5 else 0)
    handled = file_rights | _DIRECTORY_WRITES | (_REFER if abi >= 2 else 0)
    scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if abi >= 6 else 0
    # struct landlock_ruleset_attr grew with the ABI: handled_access_fs, _net (4), scoped (6).
    attr = struct.pack("QQQ", handled, 0, scoped)[: 24 if abi >= 6 else 16 if abi >= 4 else 8]
    ruleset = _libc.syscall(_LANDLOCK_CREATE_RULESET, attr, len(attr), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for path, rights in [(Path(os.devnull), file_rights)] + [(p, handled) for p in writable]:
            try:
                target = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a folder that is not there needs no rule
            try:
                rule = struct.pack("=Qi", rights if path.is_dir() else file_rights, target)
                if _libc.syscall(_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, rule, 0) != 0:
                    raise OSError(ctypes.get_errno(), "landlock_add_rule", str(path))
            finally:
                os.close(target)
        if _libc.syscall(_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _seccomp_program(arch: str) -> bytes:
    """A classic BPF program: another architecture's syscalls (x32, i386) kill the process; the
    refused syscalls and ioctl(TIOCSTI) fail with EPERM; everything else runs."""
    # (code, where to go if true, if false, k): None is the next instruction, else a return.
    steps: list[tuple[int, str | None, str | None, int]] = [
        (_LD_ABS, None, None, _ARCH),
        (_JEQ, None, "kill", _AUDIT_ARCH[arch]),
        (_LD_ABS, None, None, _NR),
    ]
    if arch == "x86_64":
        steps.append((_JGE, "kill", None, _X32_SYSCALL_BIT))
    steps += [(_JEQ, "refuse", None, nr) for nr in _REFUSED[arch]]
    steps += [(_JEQ, None, "allow", _IOCTL[arch]), (_LD_ABS, None, None, _ARG1), (_JEQ, "refuse", "allow", _TIOCSTI)]
    returns = {"allow": _RET_ALLOW, "refuse": _RET_EPERM, "kill": _RET_KILL_PROCESS}
    at = {name: len(steps) + i for i, name in enumerate(returns)}

    def offset(index: int, to: str | None) -> int:
        return 0 if to is None else at[to] - index - 1

    program = [struct.pack("=HBBI", code, offset(i, t), offset(i, f), k) for i, (code, t, f, k) in enumerate(steps)]
    program += [struct.pack("=HBBI", _RET, 0, 0, value) for value in returns.values()]
    return b"".join(program)


def _seccomp(arch: str) -> None:
    program = _seccomp_program(arch)
    filters = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("=HxxxxxxQ", len(program) // 8, ctypes.addressof(filters))
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, fprog, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp")


def confine(writable: Iterable[Path]) -> tuple[str, ...]:
    """Confine this process and all it starts from now on (the child, after fork); `writable`
    are the folders it may still write in. Returns the layers applied, each with its version."""
    applied = []
    if _prctl(_PR_SET_CHILD_SUBREAPER, 1):  # an orphaned grandchild becomes ours: it is seen
        applied.append("subreaper")
    if not _prctl(_PR_SET_NO_NEW_PRIVS, 1):  # both need it when unprivileged
        return tuple(applied)
    abi = landlock_abi()
    if abi:
        _landlock(abi, writable)
        applied.append(f"landlock-{abi}")
    arch = platform.machine()
    if arch in _AUDIT_ARCH:
        _seccomp(arch)
        applied.append("seccomp")
    return tuple(applied)
