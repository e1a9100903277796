"""The consumer loop: read, batch, checkpoint; pause and seek back under backpressure.

One consumer group over every topic matching `etl_topic_pattern` (new event types join
within the metadata refresh), cooperative-sticky rebalancing. The loop is deliberately
boring: `consume` a chunk, add it to the checkpoint, flush the checkpoint when a batch is
full or old enough, or once traffic has paused (`_QUIET_SECONDS`, see there; etl.checkpoint:
load, dead-letter, then commit). The write runs in one writer thread while the loop fills the
next batches (the warehouse works in its own process, so consuming and loading overlap);
only one write is in flight, and every decision about partitions (seek back, revoke,
assign) waits for it first. When the warehouse, the registry or the dead-letter topic
pushes back, the unflushed partitions are paused and sought back to their first unloaded
offset, the sink is told they restart, and they resume after the retry delay (doubling up
to `etl_retry_max_seconds`). Revoked partitions are flushed first (or dropped, if that
fails); lost ones are dropped. `stop()` (SIGTERM) ends the loop after one last flush;
whatever that cannot load is read again next time.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from etl.checkpoint import Checkpoint, FlushReport, PartitionKey, PendingBackpressureError
from etl.errors import FatalEtlError
from etl.metrics import EtlMetrics
from etl.sink import Sink, WriteResult

log = logging.getLogger(__name__)

# Messages per `consume`. confluent-kafka builds a chunk's Message objects in C holding the
# GIL, so the writer thread may wait a whole chunk's build for it after each send and
# receive. `ugc bench etl`, nine rounds each, alternating: c mean 369k events/s with 1,000,
# 329k with 10,000 (etl/NOTES.md).
_CHUNK = 1_000
_POLL_SECONDS = 0.1
# While a write is in flight the loop looks for its end this often, also when no message
# comes: a poll waiting 0.1 s on a drained topic held up the next batch (and the commit).
_IN_FLIGHT_POLL_SECONDS = 0.005
# Traffic has paused when no message came for `_QUIET_SECONDS`: the open batches are loaded
# then instead of at their age. Not at the first empty poll: under a trickle (a message every
# few tenths of a second) nearly every other poll is empty, and each would make one insert,
# one part, per partition; with this pause a trickle makes at most two per second. Batches
# holding `_QUIET_ROWS` between them (the tail of a burst, not a trickle) go after one
# silent poll.
_QUIET_SECONDS = 0.5
_QUIET_ROWS = 1_000


class EtlLoop:
    def __init__(
        self,
        consumer: Consumer,
        checkpoint: Checkpoint,
        sink: Sink,
        metrics: EtlMetrics,
        *,
        pattern: str,
        retry_max_seconds: float = 30.0,
    ) -> None:
        self.consumer = consumer
        self.checkpoint = checkpoint
        self.sink = sink
        self.metrics = metrics
        self.pattern = pattern
        self.retry_max = retry_max_seconds
        self._stop = threading.Event()
        self._paused: dict[PartitionKey, float] = {}
        self._backoff = 1.0
        self.running = False
        self.assigned: set[PartitionKey] = set()
        self.loaded = 0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="etl-writer")
        self._in_flight: Future[FlushReport] | None = None
        self._last_message = time.monotonic()

    def stop(self) -> None:
        self._stop.set()

    def health(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "assigned": sorted(f"{t}[{p}]" for t, p in self.assigned),
            "paused": sorted(f"{t}[{p}]" for t, p in self._paused),
            "loaded": self.loaded,
        }

    def run(self) -> None:
        self.consumer.subscribe(
            [self.pattern],
            on_assign=self._assigned,
            on_revoke=self._revoked,
            on_lost=self._lost,
        )
        self.running = True
        log.info("consuming topics matching %s", self.pattern)
        try:
            while not self._stop.is_set():
                self._poll_once()
            self._flush(wait=True)
        finally:
            self.running = False
            self._writer.shutdown(wait=True)
            self.consumer.close()
            log.info("stopped; %d rows loaded", self.loaded)

    def _poll_once(self) -> None:
        self._resume_due()
        wait = _POLL_SECONDS if self._in_flight is None else _IN_FLIGHT_POLL_SECONDS
        chunk = self.consumer.consume(_CHUNK, wait)
        now = time.monotonic()
        if chunk:
            self._last_message = now
        silent = now - self._last_message
        quiet = silent >= _QUIET_SECONDS or (
            silent >= _POLL_SECONDS and self.checkpoint.pending_rows() >= _QUIET_ROWS
        )
        for message in self.checkpoint.add_all(chunk):
            error = message.error()
            if error.fatal():
                raise KafkaException(error)
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("consumer: %s", error)
        del chunk  # the Message objects: a batch keeps only what loading needs
        if self._in_flight is not None and self._in_flight.done():
            self._settle()  # act on a finished write now: a failed one must be sought back
        # A full or old batch is written (waiting for the write in flight); a batch of
        # `min_rows` goes as soon as the writer is idle, so the warehouse never waits for
        # a batch to fill while the loop has rows for it; and once traffic has paused, the
        # open batches cannot grow, so waiting for their age would only add latency (up to
        # `etl_batch_seconds` for the last events before traffic stops).
        idle = self._in_flight is None
        if (
            self.checkpoint.due()
            or (idle and self.checkpoint.ready())
            or (quiet and self.checkpoint.batches)
        ):
            self._flush()

    def _flush(self, only: set[PartitionKey] | None = None, *, wait: bool = False) -> None:
        """Hand the open batches to the writer thread (one write in flight: wait for the
        previous one first); `wait` writes them before returning."""
        self._settle()
        batches = self.checkpoint.take(only)
        if not batches:
            return
        self._in_flight = self._writer.submit(self.checkpoint.write, batches)
        if wait:
            self._settle()

    def _settle(self) -> None:
        """Wait for the write in flight and act on its outcome."""
        if self._in_flight is None:
            return
        future, self._in_flight = self._in_flight, None
        try:
            report = future.result()
        except PendingBackpressureError as pending:
            self._commit(pending.done)
            self._push_back(pending)
            return
        self._commit(report)
        if report.results:
            self._backoff = 1.0
        for (topic, _), result in report.results.items():
            self._record(topic, result)
        if report.results:
            self.metrics.flush_seconds.observe(report.seconds)

    def _commit(self, report: FlushReport) -> None:
        try:
            self.checkpoint.commit(report)
        except KafkaException as exc:
            # The rows are in the warehouse; whoever reads these partitions next skips them
            # (Catalog.loaded_offsets), so a failed commit costs a re-read, not a duplicate.
            log.warning("commit failed (%s); the next owner re-reads and skips", exc)

    def _record(self, topic: str, result: WriteResult) -> None:
        self.loaded += result.loaded
        for table, rows in result.tables.items():
            self.metrics.rows.labels(table).inc(rows)
            log.info("loaded %d rows into %s", rows, table)
        self.metrics.bytes.labels(topic).inc(result.loaded_bytes)
        self.metrics.batches.labels(topic).inc()
        self.metrics.skipped.inc(result.skipped)
        for dead in result.dead:
            self.metrics.dead_letters.labels(dead.poison.reason.value).inc()
        if result.dead:
            log.warning("%d messages of %s sent to the dead letters", len(result.dead), topic)
        for seconds in result.lateness:
            self.metrics.lateness.observe(seconds)

    def _push_back(self, pending: PendingBackpressureError) -> None:
        delay = min(max(pending.cause.retry_after, self._backoff), self.retry_max)
        self._backoff = min(self._backoff * 2, self.retry_max)
        cause = type(pending.cause).__name__
        self.metrics.retries.labels(cause).inc()
        log.warning(
            "%s: %s; retrying %d partitions in %.1fs",
            cause,
            pending.cause,
            len(pending.left),
            delay,
        )
        until = time.monotonic() + delay
        for (topic, partition), first in pending.left.items():
            self.checkpoint.drop((topic, partition))
            self.sink.restart(topic, partition)
            position = TopicPartition(topic, partition, first)
            if (topic, partition) not in self.assigned:
                continue  # no longer ours: the next owner starts from the committed offset
            try:
                self.consumer.pause([position])
                self.consumer.seek(position)
            except KafkaException as exc:
                # Reading on past the dropped batch would skip it: stop, and let a restart
                # resume from the committed offset.
                raise FatalEtlError(f"cannot seek {topic}[{partition}] back: {exc}") from exc
            self._paused[(topic, partition)] = until

    def _resume_due(self) -> None:
        now = time.monotonic()
        due = [key for key, until in self._paused.items() if until <= now]
        for key in due:
            del self._paused[key]
        if due:
            self.consumer.resume([TopicPartition(t, p) for t, p in due])

    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._settle()
        topics: dict[str, list[int]] = {}
        for tp in partitions:
            key = (tp.topic, tp.partition)
            self.assigned.add(key)
            self.checkpoint.drop(key)
            self.sink.restart(tp.topic, tp.partition)
            topics.setdefault(tp.topic, []).append(tp.partition)
        log.info("assigned %s", ", ".join(f"{t.topic}[{t.partition}]" for t in partitions))
        # The first fetch takes a few tenths of a second: the writer uses them to ready
        # the tables, so the first batch is not held up behind table statements.
        self._in_flight = self._writer.submit(self._prepare, topics)

    def _prepare(self, topics: dict[str, list[int]]) -> FlushReport:
        for topic, partitions in topics.items():
            self.sink.prepare(topic, partitions)
        return FlushReport()

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        keys = {(tp.topic, tp.partition) for tp in partitions}
        self._flush(keys & set(self.checkpoint.batches), wait=True)
        self._forget(keys)
        log.info("revoked %s", ", ".join(f"{t.topic}[{t.partition}]" for t in partitions))

    def _lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._settle()
        self._forget({(tp.topic, tp.partition) for tp in partitions})
        log.warning("lost %s", ", ".join(f"{t.topic}[{t.partition}]" for t in partitions))

    def _forget(self, keys: set[PartitionKey]) -> None:
        for key in keys:
            self.checkpoint.drop(key)
            self.assigned.discard(key)
            self._paused.pop(key, None)
