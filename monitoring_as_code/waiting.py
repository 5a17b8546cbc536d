"""The main thread waiting on worker threads, so that a signal still ends the wait.

The kernel hands a signal sent to `mac` to any of its threads that does not block it: mostly the
main thread, but a worker leaving `fork_exec` (subprocess blocks every signal around its vfork,
then unblocks them) can take it first. Python runs the handler only in the main thread, at its
next instruction; a main thread asleep on a lock without a limit never gets there until the lock
is released, and `mac` sat out SIGQUIT until a tool hit its 5-minute limit. So the main thread
sleeps in short slices."""

from __future__ import annotations

from concurrent.futures import Future, wait
from typing import TypeVar

T = TypeVar("T")

SIGNAL_LATENCY = 0.1  # seconds: at most this long between a signal and its handler in the main thread


def result(future: Future[T]) -> T:
    """`future.result()`, waiting in slices that a signal's handler can run between."""
    while not future.done():
        wait([future], timeout=SIGNAL_LATENCY)
    return future.result()
