"""The leader's side of the Kafka store: appending records to `_schemas` in transactions.

All registry processes on one topic share a small set of transactional ids
(`transactional_ids`), and a writer initialises a producer for every one of them before
it writes, which fences every other process's producers: a deposed leader that still
tries to write cannot commit. After initialising, the writer commits a NOOP record and
waits until its reader has applied it; from then on, as long as nobody fences it, its
state holds every record of the log, and each batch it prepares is decided on the whole
truth.

Writes are group-committed: callers queue their `prepare` and wait; one writer thread
takes every queued one, prepares them in order on a scratch copy of the state (each seeing
the records of the ones before it), appends all their records in one transaction and hands
them, with the offsets Kafka gave them, to `apply_committed`, which applies them to the
state at once (no waiting for the reader to fetch them back), then wakes their callers and
takes the next queue at once. (When the callers took turns at the write lock instead,
every batch ended in a relay of the lock through its own waiters, each needing the GIL:
~10 ms between batches, the leader's writer idle 44% of a contention run.) The
transactions take turns over the producers: a transactional id cannot start its next
transaction until the coordinator has written the previous one's markers, and librdkafka
then waits a fixed 20 ms before asking again; with the ids in rotation, each one's last
transaction finished a few batches ago. A failed attempt drops the producers, so the
next attempt starts from fresh producers and a fresh catch-up and prepares again. Every
exception of the Kafka client is translated here: callers get only domain errors.

Producers are only ever touched by the thread holding the write lock (the writer thread
during a batch; `warm_up`, `reset` and `close` in between), and every one this
module creates is closed (purged, then `close()`d) by that thread on every path: a failed
initialisation, a dropped set, and `close`. `close` raises a flag that the holder checks
between steps (each `init_transactions`, the catch-up), so it waits for one step, not for
a whole warm-up; a holder that sees the flag closes its producers itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic

from confluent_kafka import KafkaError, KafkaException, Producer

from registry.server.errors import NotLeaderError, StoreError, StoreTimeoutError
from registry.server.records import Record, decode, noop_record
from registry.server.state import RegistryState
from registry.server.store import Prepare, T

log = logging.getLogger(__name__)

_ATTEMPTS = 6
_ROTATION = 3  # transactional ids taking turns (see the module docstring)
Committed = Sequence[tuple[int, Record]]  # records of a committed transaction, by offset


def transactional_ids(topic: str) -> list[str]:
    """The ids every registry process on `topic` uses; the first is the historical one."""
    first = f"ugc-registry:{topic}"
    return [first] + [f"{first}:{turn}" for turn in range(1, _ROTATION)]


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
    result: Any = None
    error: BaseException | None = None
    records: Sequence[Record] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)

    def settle(self, error: BaseException | None = None) -> None:
        self.error = error if error is not None else self.error
        self.finished.set()


class _ClosedError(Exception):
    """The writer was closed while this thread held the write lock: stop, close producers."""


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
        apply_committed: Callable[[Committed], None],
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
        self._apply_committed = apply_committed  # applies our committed records at once
        self._leading = leading
        self._new_producer = producer_factory
        self._retry_pause = retry_pause
        self._write_lock = threading.Lock()
        self._work = threading.Condition()  # guards the queue and the writer thread
        self._queue: list[_Pending[Any]] = []
        self._thread: threading.Thread | None = None
        self._producers: list[Producer] = []  # initialised and caught up; empty: start over
        self._turn = 0
        self._closed = threading.Event()

    def write(self, prepare: Prepare[T]) -> T:
        if not self._leading():
            raise NotLeaderError("this registry process is not the leader")
        pending: _Pending[T] = _Pending(prepare)
        with self._work:
            if self._closed.is_set():
                raise _shutting_down()
            self._queue.append(pending)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="registry-log-writer", daemon=True
                )
                self._thread.start()
            self._work.notify()
        pending.finished.wait()  # every path of the writer thread settles what it took
        if pending.error is not None:
            raise pending.error
        result: T = pending.result
        return result

    def _serve(self) -> None:
        """The writer thread: one batch after another, until the writer is closed."""
        while True:
            with self._work:
                while not self._queue and not self._closed.is_set():
                    self._work.wait()
                batch, self._queue = self._queue, []
                if self._closed.is_set():
                    self._thread = None
                    for pending in batch:
                        pending.settle(_shutting_down())
                    return
            with self._write_lock:
                try:
                    self._run(batch)
                except Exception as exc:  # a bug: answer it, keep serving the next batches
                    log.exception("registry write failed unexpectedly")
                    for pending in batch:
                        pending.settle(StoreError(f"Error in the backend data store: {exc}"))
                if self._closed.is_set():
                    self._drop_producers()

    def reset(self) -> None:
        """Forget the producers (leadership changed): the next write initialises afresh."""
        with self._write_lock:
            self._drop_producers()

    def warm_up(self) -> None:
        """Initialise the producers now (just elected): fences the old leader and aborts the
        transactions it may have left open, so readers are not held back by them."""
        with self._write_lock:
            self._drop_producers()
            if self._closed.is_set():
                return
            try:
                self._writer()
            except _ClosedError:
                log.info("leader warm-up stopped: the registry is closing")
            except (_AttemptFailedError, StoreError) as exc:
                # The text only: a log record holding the exception would keep its frames,
                # and with them the producers, alive as long as the record.
                log.warning("new leader could not initialise its producers yet: %s", str(exc))
            if self._closed.is_set():
                self._drop_producers()

    def close(self) -> None:
        """Stop writing and close every producer. Waits for the step under way (an
        `init_transactions`, a commit), not for a whole warm-up or batch; if that step
        outlasts the store timeout, the thread running it closes the producers when it
        ends."""
        with self._work:
            self._closed.set()
            self._work.notify()
        if self._write_lock.acquire(timeout=self.timeout):
            try:
                self._drop_producers()
            finally:
                self._write_lock.release()
        else:
            log.warning("closing while a Kafka call is still under way; it closes its producers")

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise _ClosedError

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
            except _ClosedError:
                for pending in batch:
                    pending.settle(_shutting_down())
                return
            except _AttemptFailedError as exc:
                last = exc
                self._drop_producers()  # fenced, broken or unsure: start over from a catch-up
                log.info("write to %s retried (attempt %d): %s", self.topic, attempt + 1, exc)
                time.sleep(min(self._retry_pause * 2**attempt, 1.0))
            except StoreError as exc:  # the catch-up did not read the NOOP back in time
                self._drop_producers()
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
            offsets = self._commit(producer, records)
            self._apply_committed(list(zip(offsets, records, strict=True)))
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
        """The producer whose turn it is; first, every one initialised and caught up."""
        if not self._producers:
            producers: list[Producer] = []
            try:
                for tid in transactional_ids(self.topic):
                    self._check_open()
                    producers.append(self._initialised(tid))
                self._check_open()
                offsets = self._commit(producers[0], [noop_record()])
                self._wait_applied(offsets[-1] + 1)
                self._check_open()
            except BaseException:
                for producer in producers:
                    _close(producer)
                raise
            self._producers = producers
        self._turn = (self._turn + 1) % len(self._producers)
        return self._producers[self._turn]

    def _initialised(self, transactional_id: str) -> Producer:
        try:
            producer = self._new_producer(
                {
                    **self._common,
                    "transactional.id": transactional_id,
                    "transaction.timeout.ms": 15000,
                    "linger.ms": 0,
                    "acks": "all",
                    "enable.idempotence": True,
                }
            )
        except (KafkaException, BufferError, SystemError) as exc:
            raise _AttemptFailedError.of(exc) from exc
        try:
            producer.init_transactions(self.timeout)
        except (KafkaException, BufferError, SystemError) as exc:
            _close(producer)
            raise _AttemptFailedError.of(exc) from exc
        return producer

    def _drop_producers(self) -> None:
        producers, self._producers = self._producers, []
        for producer in producers:
            _close(producer)

    def _commit(self, producer: Producer, records: Sequence[Record]) -> list[int]:
        """Append records in one transaction; return the offset of each, in order."""
        offsets: list[int | None] = [None] * len(records)
        failures: list[str] = []

        def delivered(number: int, err: KafkaError | None, message: Any) -> None:
            if err is not None:
                failures.append(err.str())
            else:
                offsets[number] = message.offset()

        try:
            producer.begin_transaction()
            for number, record in enumerate(records):
                producer.produce(
                    self.topic, record.value, record.key, on_delivery=partial(delivered, number)
                )
            producer.flush(self.timeout)
            acknowledged = [offset for offset in offsets if offset is not None]
            if failures or len(acknowledged) != len(records):
                raise _AttemptFailedError(
                    failures[0] if failures else "records not acknowledged in time",
                    timed_out=not failures,
                )
            producer.commit_transaction(self.timeout)
        except (KafkaException, BufferError, SystemError) as exc:
            raise _AttemptFailedError.of(exc) from exc
        return acknowledged


def _shutting_down() -> StoreError:
    return StoreError("Error in the backend data store: shutting down")


def _close(producer: Producer) -> None:
    """Close a producer now, whatever its state: purge what it still holds (an unfinished
    transaction's records; `close` alone would wait for them to be delivered), serve the
    delivery reports that produces, then close it, which disconnects at once. A producer in
    a fatal state may raise here, and is closed all the same as far as it can be."""
    with suppress(KafkaException, BufferError, SystemError, RuntimeError):
        producer.purge()
    with suppress(KafkaException, BufferError, SystemError, RuntimeError):
        producer.flush(0)
    with suppress(KafkaException, BufferError, SystemError, RuntimeError):
        producer.close()
