"""The Kafka store: the registry's log is the compacted, single-partition `_schemas` topic.

A reader thread consumes the topic from the beginning (read_committed) and applies each
record to the state. Writes are the elected leader's (`election.Election`), appended by
`log_writer.LogWriter` in transactions under a transactional id all processes share, which
fences a deposed leader. Reads wait for the instance's high-water position
(`high_water.HighWater`) so that the workers of one instance answer as one registry.
NOTES.md states the protocol in full.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from registry.server.election import Election, ElectionConfig
from registry.server.errors import StoreError, StoreTimeoutError
from registry.server.high_water import HighWater, LocalHighWater
from registry.server.log_writer import Committed, LogWriter
from registry.server.records import Record, StoreEvent, decode
from registry.server.state import RegistryState
from registry.server.store import Leader, Prepare, StoreHealth, T

log = logging.getLogger(__name__)


class KafkaStore:
    def __init__(
        self,
        bootstrap: str,
        topic: str = "_schemas",
        *,
        timeout: float = 10.0,
        client_config: dict[str, Any] | None = None,
        election: ElectionConfig | None = None,
        high_water: HighWater | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout = timeout
        self.state = RegistryState()
        self._common = {"bootstrap.servers": bootstrap, **(client_config or {})}
        self._lock = threading.RLock()
        self._applied = threading.Condition(self._lock)
        self._position = 0  # next offset the reader will look at (counts transaction markers)
        self._applied_end = 0  # offset of the last record applied, plus one
        self._high_water = high_water or LocalHighWater()
        self._published = 0  # the highest position this process raised the high water to
        self._caught_up = threading.Event()
        self._stopping = threading.Event()
        self._reader_error: str | None = None
        self._consumer: Consumer | None = None
        self._thread: threading.Thread | None = None
        self._watermarks: Consumer | None = None
        self._watermark_lock = threading.Lock()
        self._leadership_threads: list[threading.Thread] = []
        self._admin: AdminClient | None = None
        self._election = Election(
            self._common, topic, election or ElectionConfig(), on_change=self._leadership
        )
        self._writer = LogWriter(
            self._common,
            topic,
            timeout=timeout,
            state_lock=self._lock,
            state=lambda: self.state,
            wait_applied=self._wait_applied,
            apply_committed=self._apply_committed,
            leading=lambda: self._election.leading,
        )

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Create or check the topics, read the log to its end, join the election."""
        # One admin client for the store's life: it creates the topics, then describes the
        # election group. Destroyed right after its CreateTopics answer, a client sometimes
        # still held an event in its background queue (librdkafka: "Purging 1 unserved
        # events from background queue"; 4 of 100 such clients in our runs, 0 of 60 kept
        # alive a second longer); kept, it goes long after its last answer.
        self._admin = AdminClient(self._common)
        self._ensure_topics(self._admin)
        self._consumer = Consumer(
            {
                **self._common,
                "group.id": f"ugc-registry-reader-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
                # The broker answers a waiting fetch as soon as a transaction commits
                # (its markers move the last stable offset), so a long wait adds no
                # latency; it only spares the broker empty fetches while nothing happens.
                "fetch.wait.max.ms": 500,
            }
        )
        self._consumer.assign([TopicPartition(self.topic, 0, 0)])
        self._thread = threading.Thread(target=self._read_forever, name="schemas-reader")
        self._thread.daemon = True
        self._thread.start()
        if not self._caught_up.wait(self.timeout * 6):
            raise StoreTimeoutError(
                f"could not read topic {self.topic} to its end within {self.timeout * 6:.0f}s"
            )
        log.info("read %s to offset %d: %d schemas", self.topic, self._position, self.state.max_id)
        self._election.start(self._admin)
        if self._election.config.eligible:  # a replica learns the leader at its first write
            leader = self._election.wait_for_leader(self.timeout)
            log.info("registry leader: %s", "this process" if leader.is_self else leader.url)

    def close(self) -> None:
        """Leave the election, stop writing, stop reading; every Kafka client is closed.

        Stopping comes first: it wakes any wait for the reader (a warm-up's catch-up), so
        nothing here waits longer than one Kafka call of the leader's writer."""
        with self._applied:
            self._stopping.set()
            self._applied.notify_all()
        self._election.close()
        self._admin = None  # the election dropped its reference too: the client goes now
        self._writer.close()
        for thread in self._leadership_threads:
            thread.join(self.timeout)
        if self._thread is not None:
            self._thread.join(5.0)
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        with self._watermark_lock:
            if self._watermarks is not None:
                self._watermarks.close()
                self._watermarks = None

    def _ensure_topics(self, admin: AdminClient) -> None:
        try:
            metadata = admin.list_topics(timeout=self.timeout)
        except KafkaException as exc:
            raise StoreError(f"Kafka at {self.bootstrap} is unreachable: {exc}") from exc
        replicas = min(3, len(metadata.brokers))
        isr = str(max(1, replicas - 1))
        wanted = {
            self.topic: {"cleanup.policy": "compact", "min.insync.replicas": isr},
            self._election.topic: {"retention.ms": "3600000"},
        }
        missing = []
        for name, config in wanted.items():
            existing = metadata.topics.get(name)
            if existing is None or existing.error is not None:
                missing.append(NewTopic(name, 1, replicas, config=config))
            elif len(existing.partitions) != 1:
                raise StoreError(
                    f"topic {name} has {len(existing.partitions)} partitions; it must have "
                    "exactly one (one order for the schemas, one owner for the election)"
                )
        if not missing:
            return
        futures = admin.create_topics(missing)
        for name, future in futures.items():
            try:
                future.result(self.timeout)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise StoreError(f"cannot create topic {name}: {exc}") from exc

    # --- leadership ------------------------------------------------------------------

    def _leadership(self, leading: bool) -> None:
        # Not on the election's thread: initialising may take a while. `close` joins them.
        target, name = (
            (self._writer.warm_up, "leader-warm-up")
            if leading
            else (self._writer.reset, "leader-reset")
        )
        thread = threading.Thread(target=target, name=name)
        self._leadership_threads = [t for t in self._leadership_threads if t.is_alive()]
        self._leadership_threads.append(thread)
        thread.start()

    def leader(self, *, refresh: bool = False) -> Leader:
        return self._election.leader(refresh=refresh)

    # --- reading ---------------------------------------------------------------------

    def _read_forever(self) -> None:
        assert self._consumer is not None
        while not self._stopping.is_set():
            try:
                message = self._consumer.poll(0.1)
            except Exception as exc:  # the reader must not die silently
                self._reader_error = str(exc)
                log.exception("schemas reader failed")
                time.sleep(1.0)
                continue
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    # The end offset counts transaction markers, which are never delivered.
                    with self._applied:
                        self._position = max(self._position, message.offset() or 0)
                    self._caught_up.set()
                else:
                    self._reader_error = error.str()
                    log.warning("schemas reader: %s", error.str())
                continue
            self._reader_error = None
            offset = message.offset() or 0
            if offset < self._applied_end:
                continue  # our own write, applied when it committed: skip the decoding too
            event = decode(Record(message.key() or b"", message.value()))
            with self._applied:
                self._apply_at(offset, event)
                self._applied.notify_all()

    def _apply_at(self, offset: int, event: StoreEvent) -> None:
        """Apply the record at `offset` unless it was applied already (under the lock)."""
        if offset < self._applied_end:
            return
        self.state.apply(event)
        self._applied_end = offset + 1
        self._position = max(self._position, self._applied_end)

    def _apply_committed(self, committed: Committed) -> None:
        """The leader's own records, applied as soon as their transaction committed.

        Safe because nothing else can be in the log between what this process applied and
        these offsets: a writer catches up before its first batch, and any other writer
        would have had to fence our transactional ids first, failing this commit. The
        reader skips these offsets when it gets to them (`_apply_at`)."""
        with self._applied:
            for offset, record in committed:
                self._apply_at(offset, decode(record))
            if committed:  # the commit marker follows the last record
                self._position = max(self._position, committed[-1][0] + 2)
            self._applied.notify_all()

    def _wait_applied(self, end: int) -> None:
        """Return once every record before offset `end` that exists has been applied."""
        if self._applied_end >= end:
            return
        deadline = time.monotonic() + self.timeout
        with self._applied:
            while self._applied_end < end:
                if self._stopping.is_set():
                    raise StoreError(f"the registry is closing; {self.topic} is no longer read")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreTimeoutError(
                        f"the registry did not read {self.topic} up to offset {end} within "
                        f"{self.timeout:.0f}s"
                    )
                self._applied.wait(left)

    @contextmanager
    def reading(self) -> Iterator[RegistryState]:
        self._wait_applied(self._high_water.value())
        with self._lock:
            yield self.state
            shown = self._applied_end
        self._publish(shown)

    def _publish(self, position: int) -> None:
        if position > self._published:
            self._published = position
            self._high_water.advance(position)

    def position(self) -> int:
        return self._applied_end

    def catch_up(self, position: int) -> None:
        self._high_water.advance(position)

    def health(self) -> StoreHealth:
        if self._consumer is None or not self._caught_up.is_set():
            return StoreHealth(False, None, "still reading the schemas topic")
        try:
            high = self._high_watermark()
        except KafkaException as exc:
            return StoreHealth(False, None, f"Kafka unreachable: {exc}")
        with self._lock:
            lag = max(0, high - self._position)
            detail = self._reader_error or f"applied up to offset {self._position}"
        return StoreHealth(self._reader_error is None, lag, detail)

    def _high_watermark(self) -> int:
        # A consumer of its own: asking the polling reader's handle for watermarks from
        # another thread blocks until the reader's poll returns, which may be never.
        with self._watermark_lock:
            if self._watermarks is None:
                self._watermarks = Consumer(
                    {**self._common, "group.id": f"ugc-registry-health-{uuid.uuid4().hex}"}
                )
            _, high = self._watermarks.get_watermark_offsets(
                TopicPartition(self.topic, 0), timeout=2.0
            )
        return int(high)

    # --- writing ---------------------------------------------------------------------

    def write(self, prepare: Prepare[T]) -> T:
        result = self._writer.write(prepare)
        self._publish(self._applied_end)
        return result
