"""The leader's side of the Kafka store: appending records to `_schemas` in transactions.

All registry processes on one topic share the transactional id `ugc-registry:<topic>`, so
initialising a producer fences every other process's producer: a deposed leader that
still tries to write cannot commit. After initialising, the writer commits a NOOP record
and waits until its reader has applied it; from then on, as long as nobody fences it, its
state holds every record of the log, and each batch it prepares is decided on the whole
truth.

Writes are group-committed: callers queue their `prepare`, and whichever caller holds the
write lock takes every queued one, prepares them in order on a scratch copy of the state
(each seeing the records of the ones before it), appends all their records in one
transaction and waits until the reader has applied the last of them. A failed attempt
drops the producer, so the next attempt starts from a fresh producer and a fresh catch-up
and prepares again. Every exception of the Kafka client is translated here: callers get
only domain errors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic

from confluent_kafka import KafkaError, KafkaException, Producer

from registry.server.errors import NotLeaderError, StoreError, StoreTimeoutError
from registry.server.records import Record, decode, noop_record
from registry.server.state import RegistryState
from registry.server.store import Prepare, T

log = logging.getLogger(__name__)

_ATTEMPTS = 6


class _AttemptFailedError(Exception):
    """One attempt at a transaction failed; `timed_out` when Kafka did not answer in time."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out

    @classmethod
    def of(cls, exc: BaseException) -> _AttemptFailedError:
        error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
        if error is None:
            # A fatal error surfaced as SystemError/BufferError by the client's C layer.
            return cls(f"Kafka client failed: {type(exc).__name__}: {exc}")
        return cls(error.str(), timed_out=error.code() == KafkaError._TIMED_OUT)


@dataclass
class _Pending(Generic[T]):
    prepare: Prepare[T]
    done: bool = False
    result: Any = None
    error: BaseException | None = None
    records: Sequence[Record] = field(default_factory=list)

    def settle(self, error: BaseException | None = None) -> None:
        self.error = error if error is not None else self.error
        self.done = True


class LogWriter:
    def __init__(
        self,
        common: dict[str, Any],
        topic: str,
        *,
        timeout: float,
        state_lock: threading.RLock,
        state: Callable[[], RegistryState],
        wait_applied: Callable[[int], None],
        leading: Callable[[], bool],
        producer_factory: Callable[[dict[str, Any]], Producer] = Producer,
        retry_pause: float = 0.05,
    ) -> None:
        self.topic = topic
        self.timeout = timeout
        self._common = common
        self._state_lock = state_lock
        self._state = state
        self._wait_applied = wait_applied  # returns once the reader applied up to an end
        self._leading = leading
        self._new_producer = producer_factory
        self._retry_pause = retry_pause
        self._write_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending[Any]] = []
        self._producer: Producer | None = None

    def write(self, prepare: Prepare[T]) -> T:
        if not self._leading():
            raise NotLeaderError("this registry process is not the leader")
        pending: _Pending[T] = _Pending(prepare)
        with self._queue_lock:
            self._queue.append(pending)
        with self._write_lock:
            if not pending.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._run(batch)
        if pending.error is not None:
            raise pending.error
        result: T = pending.result
        return result

    def reset(self) -> None:
        """Forget the producer (leadership changed): the next write initialises afresh."""
        with self._write_lock:
            self._producer = None

    def warm_up(self) -> None:
        """Initialise the producer now (just elected): fences the old leader and aborts the
        transaction it may have left open, so readers are not held back by it."""
        with self._write_lock:
            self._producer = None
            try:
                self._writer()
            except (_AttemptFailedError, StoreError) as exc:
                log.warning("new leader could not initialise its producer yet: %s", exc)

    def close(self) -> None:
        with self._write_lock:
            if self._producer is not None:
                self._producer.flush(5.0)
                self._producer = None

    # --- one batch -------------------------------------------------------------------

    def _run(self, batch: list[_Pending[Any]]) -> None:
        last: _AttemptFailedError | None = None
        for attempt in range(_ATTEMPTS):
            if not self._leading():
                for pending in batch:
                    pending.settle(NotLeaderError("this registry process is no longer the leader"))
                return
            try:
                self._attempt(batch)
                return
            except _AttemptFailedError as exc:
                last = exc
                self._producer = None  # fenced, broken or unsure: start over from a catch-up
                log.info("write to %s retried (attempt %d): %s", self.topic, attempt + 1, exc)
                time.sleep(min(self._retry_pause * 2**attempt, 1.0))
            except StoreError as exc:  # committed but not read back in time
                self._producer = None
                for pending in batch:
                    pending.settle(exc)
                return
        assert last is not None
        kind = StoreTimeoutError if last.timed_out else StoreError
        error = kind(f"Error in the backend data store: could not write to {self.topic}: {last}")
        for pending in batch:
            pending.settle(error)

    def _attempt(self, batch: list[_Pending[Any]]) -> None:
        producer = self._writer()
        records = self._prepare(batch)
        if records:
            self._wait_applied(self._commit(producer, records) + 1)
        for pending in batch:
            pending.settle()

    def _prepare(self, batch: list[_Pending[Any]]) -> list[Record]:
        """Every write's records, each prepared on the state the ones before it leave."""
        records: list[Record] = []
        with self._state_lock:
            state = self._state()
            scratch = state if len(batch) == 1 else state.copy()
            for pending in batch:
                pending.error = None
                try:
                    pending.records, pending.result = pending.prepare(scratch)
                except Exception as exc:  # a refusal (domain error) or a bug: that write's answer
                    pending.records, pending.error = [], exc
                    continue
                if scratch is not state:
                    for record in pending.records:
                        scratch.apply(decode(record))
                records += pending.records
        return records

    # --- Kafka -----------------------------------------------------------------------

    def _writer(self) -> Producer:
        """The transactional producer, freshly initialised and caught up if it was not."""
        if self._producer is not None:
            return self._producer
        try:
            producer = self._new_producer(
                {
                    **self._common,
                    "transactional.id": f"ugc-registry:{self.topic}",
                    "transaction.timeout.ms": 15000,
                    "linger.ms": 0,
                    "acks": "all",
                    "enable.idempotence": True,
                }
            )
            producer.init_transactions(self.timeout)
        except (KafkaException, BufferError, SystemError) as exc:
            raise _AttemptFailedError.of(exc) from exc
        self._wait_applied(self._commit(producer, [noop_record()]) + 1)
        self._producer = producer
        return producer

    def _commit(self, producer: Producer, records: Sequence[Record]) -> int:
        """Append records in one transaction; return the offset of the last one."""
        offsets: list[int] = []
        failures: list[str] = []

        def delivered(err: KafkaError | None, message: Any) -> None:
            if err is not None:
                failures.append(err.str())
            else:
                offsets.append(message.offset())

        try:
            producer.begin_transaction()
            for record in records:
                producer.produce(self.topic, record.value, record.key, on_delivery=delivered)
            producer.flush(self.timeout)
            if failures or len(offsets) != len(records):
                raise _AttemptFailedError(
                    failures[0] if failures else "records not acknowledged in time",
                    timed_out=not failures,
                )
            producer.commit_transaction(self.timeout)
        except (KafkaException, BufferError, SystemError) as exc:
            raise _AttemptFailedError.of(exc) from exc
        return max(offsets)
