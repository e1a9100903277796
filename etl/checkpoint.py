"""The checkpoint: batches per topic-partition, flushed to the sink, then committed.

Order, always: `sink.write` every batch (ClickHouse acknowledged the rows), produce and
flush the dead letters of those batches (Kafka acknowledged them), then commit the next
offset of each flushed partition, synchronously. A committed offset only moves forward:
`Offsets.advance` raises if asked to go back. When the sink or the dead-letter topic pushes
back (`BackpressureError`), the batches already flushed are committed and the exception is
raised again with the partitions left over, so the loop can seek them back.

`take` (the loop's thread) hands the open batches over and `write` loads and commits them,
possibly in a worker thread while the loop fills the next batches: one write at a time;
`commit` then runs in the loop's thread (the consumer is only ever used from there), so
commits stay in offset order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from confluent_kafka import TopicPartition

from etl.batch import Batches, ConsumedMessage, PartitionBatch
from etl.dead_letter import DeadLetterWriter
from etl.errors import BackpressureError
from etl.sink import Sink, WriteResult

log = logging.getLogger(__name__)

PartitionKey = tuple[str, int]


class Committer(Protocol):
    def commit(
        self, *, offsets: list[TopicPartition], asynchronous: Literal[False]
    ) -> list[TopicPartition] | None: ...


class OffsetWentBackError(RuntimeError):
    """A stored offset was asked to move backwards: a bug that could load data twice."""


class Offsets:
    """Next offset to read per partition, as committed; only moves forward."""

    def __init__(self) -> None:
        self._next: dict[PartitionKey, int] = {}

    def advance(self, key: PartitionKey, next_offset: int) -> None:
        current = self._next.get(key)
        if current is not None and next_offset < current:
            raise OffsetWentBackError(
                f"{key[0]}[{key[1]}]: offset would go back from {current} to {next_offset}"
            )
        self._next[key] = next_offset

    def forget(self, key: PartitionKey) -> None:
        self._next.pop(key, None)

    def get(self, key: PartitionKey) -> int | None:
        return self._next.get(key)


@dataclass
class FlushReport:
    results: dict[PartitionKey, WriteResult] = field(default_factory=dict)
    seconds: float = 0.0
    positions: list[TopicPartition] = field(default_factory=list)  # to commit


@dataclass
class PendingBackpressureError(Exception):
    """The sink pushed back; `left` maps each unflushed partition to its first offset;
    `done` holds what was loaded before (still to be committed)."""

    cause: BackpressureError
    left: dict[PartitionKey, int] = field(default_factory=dict)
    done: FlushReport = field(default_factory=FlushReport)


class Checkpoint:
    def __init__(
        self,
        sink: Sink,
        dead_letters: DeadLetterWriter,
        committer: Committer,
        *,
        max_rows: int,
        max_seconds: float,
        min_rows: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink = sink
        self.dead_letters = dead_letters
        self.committer = committer
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.min_rows = max_rows if min_rows is None else min(min_rows, max_rows)
        self.clock = clock
        self.batches = Batches()
        self.offsets = Offsets()
        self._opened: float | None = None

    def add_all(self, messages: Iterable[ConsumedMessage]) -> list[ConsumedMessage]:
        """Add a consumed chunk; return the messages that carry an error instead of data."""
        failed = self.batches.add_all(messages, self.clock)
        if self._opened is None and self.batches:
            self._opened = self.clock()
        return failed

    def due(self) -> bool:
        if not self.batches:
            return False
        if any(len(b) >= self.max_rows for b in self.batches.values()):
            return True
        return self._opened is not None and self.clock() - self._opened >= self.max_seconds

    def ready(self) -> bool:
        """Worth writing now if the writer is idle: some batch holds `min_rows`. Waiting
        for `due` would leave the warehouse idle while batches fill (and the ETL idle
        while the warehouse loads the last, fullest one)."""
        return any(len(b) >= self.min_rows for b in self.batches.values())

    def pending_rows(self) -> int:
        return sum(len(b) for b in self.batches.values())

    def drop(self, key: PartitionKey) -> None:
        """Forget a partition's batch without loading it (revoked, lost, or seeking back)."""
        self.batches.pop(key, None)
        self.offsets.forget(key)

    def take(self, only: set[PartitionKey] | None = None) -> dict[PartitionKey, PartitionBatch]:
        """Hand over the open batches (or those of `only`) for `write`; new messages start
        new batches meanwhile."""
        taken = {k: b for k, b in self.batches.items() if only is None or k in only}
        for key in taken:
            del self.batches[key]
        if not self.batches:
            self._opened = None
        return taken

    def flush(self, only: set[PartitionKey] | None = None) -> FlushReport:
        """Write, dead-letter and commit every batch (or those of `only`)."""
        try:
            report = self.write(self.take(only))
        except PendingBackpressureError as pending:
            self.commit(pending.done)
            raise
        self.commit(report)
        return report

    def commit(self, report: FlushReport) -> None:
        """Commit what `write` loaded (in the consumer's own thread)."""
        if not report.positions:
            return
        for position in report.positions:
            self.offsets.advance((position.topic, position.partition), position.offset)
        self.committer.commit(offsets=report.positions, asynchronous=False)

    def write(self, batches: dict[PartitionKey, PartitionBatch]) -> FlushReport:
        """Load and dead-letter `batches`; the report says what to `commit` next (this may
        run in a worker thread: it touches only the batches handed to it, the sink and the
        dead letters; the consumer stays with its own thread)."""
        started = self.clock()
        report = FlushReport()
        try:
            for key, batch in batches.items():
                report.results[key] = self.sink.write(batch)
        except BackpressureError as exc:
            left = {k: b.first_offset for k, b in batches.items() if k not in report.results}
            self._dead_letter(report, batches)
            raise PendingBackpressureError(exc, left, report) from exc
        self._dead_letter(report, batches)
        report.seconds = self.clock() - started
        return report

    def _dead_letter(
        self, report: FlushReport, batches: dict[PartitionKey, PartitionBatch]
    ) -> None:
        if not report.results:
            return
        try:
            for result in report.results.values():
                for dead in result.dead:
                    self.dead_letters.send(dead.message, dead.poison, dead.schema_id)
            self.dead_letters.flush()
        except BackpressureError as exc:
            left = {k: batches[k].first_offset for k in report.results}
            raise PendingBackpressureError(exc, left) from exc
        report.positions = [
            TopicPartition(key[0], key[1], batches[key].next_offset) for key in report.results
        ]
