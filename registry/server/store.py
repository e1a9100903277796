"""The store protocol: how the service reads the registry state and appends to its log.

A store owns one `RegistryState` and a lock. Reads take the lock and look at the state.
Writes go through `write(prepare)`: the store brings its state up to date with the log,
calls `prepare(state)` under the lock to decide which records to append (raising a domain
error refuses the write), appends them atomically and returns only once its own state
shows them. `prepare` may run more than once when another writer got in first, so it
must not have side effects, and several writes may be prepared one after another on a
scratch copy and appended together. Only the elected leader writes: elsewhere `write`
raises `NotLeaderError` and the app forwards the request to `leader().url`. `position()`
says how far into the log the state is; `catch_up(position)` promises that every later
read reflects the log at least that far (a write the leader answered). See NOTES.md for the
Kafka implementation's protocol.

`MemoryStore` applies records directly; it is for unit tests, and the store contract test
runs against it and against `KafkaStore`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from registry.server.records import Record, decode
from registry.server.state import RegistryState

T = TypeVar("T")
Prepare = Callable[[RegistryState], tuple[Sequence[Record], T]]


@dataclass(frozen=True)
class Leader:
    """Who leads as this process last knew it: its URL (None: unknown) and whether it is us."""

    url: str | None
    is_self: bool


@dataclass(frozen=True)
class StoreHealth:
    ready: bool
    lag: int | None
    detail: str


class SchemaStore(Protocol):
    def start(self) -> None: ...

    def close(self) -> None: ...

    def reading(self) -> AbstractContextManager[RegistryState]: ...

    def write(self, prepare: Prepare[T]) -> T: ...

    def health(self) -> StoreHealth: ...

    def position(self) -> int: ...

    def catch_up(self, position: int) -> None: ...

    def leader(self, *, refresh: bool = False) -> Leader: ...


class MemoryStore:
    """The whole log in memory: records are applied as they are written."""

    def __init__(self) -> None:
        self.state = RegistryState()
        self.log: list[Record] = []
        self._lock = threading.RLock()

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    @contextmanager
    def reading(self) -> Iterator[RegistryState]:
        with self._lock:
            yield self.state

    def write(self, prepare: Prepare[T]) -> T:
        with self._lock:
            records, result = prepare(self.state)
            for record in records:
                self.log.append(record)
                self.state.apply(decode(record))
            return result

    def health(self) -> StoreHealth:
        return StoreHealth(ready=True, lag=0, detail="in memory")

    def position(self) -> int:
        return len(self.log)

    def catch_up(self, position: int) -> None:
        pass  # one process, applied as written: every read already reflects every write

    def leader(self, *, refresh: bool = False) -> Leader:
        return Leader(None, True)
