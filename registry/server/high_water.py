"""The instance's high-water position: how far into `_schemas` any of its answers has shown.

Every worker process of one instance shares one `HighWater`. Before a worker answers, its
store waits until it has applied the log up to the high-water position; after it answers,
it raises the position to what it has applied. So once any worker has answered (a write
or a read), every later answer of the instance reflects at least as much of the log:
read-your-writes and monotonic reads across the instance's workers. NOTES.md gives the
cost.

`SharedHighWater` lives in shared memory and must be created before gunicorn forks its
workers; `LocalHighWater` serves one process (tests, a single in-thread server).
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Protocol


class HighWater(Protocol):
    def value(self) -> int: ...

    def advance(self, position: int) -> None: ...


class LocalHighWater:
    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    def value(self) -> int:
        return self._value

    def advance(self, position: int) -> None:
        with self._lock:
            self._value = max(self._value, position)


class SharedHighWater:
    """One signed 64-bit integer in shared memory; raising it takes a process-shared lock.

    Reading takes no lock: an aligned 8-byte load is atomic on the platforms we run on, and
    the value only grows, so a reader sees either the old or the new position, both valid
    promises. Every request reads it; with the lock, 16 threads over two workers queued on
    one semaphore (14% of a worker's samples under `GET /schemas/ids/{id}`, py-spy)."""

    def __init__(self) -> None:
        self._shared = multiprocessing.get_context("fork").Value("q", 0, lock=True)
        self._raw = self._shared.get_obj()  # the c_int64 itself, read without the lock

    def value(self) -> int:
        return int(self._raw.value)

    def advance(self, position: int) -> None:
        if position <= self._raw.value:
            return  # it only grows: nothing to do, no lock to take
        with self._shared.get_lock():
            self._raw.value = max(self._raw.value, position)
