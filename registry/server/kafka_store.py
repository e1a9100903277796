"""The Kafka store: the registry's log is the compacted, single-partition `_schemas` topic.

A reader thread consumes the topic from the beginning (read_committed) and applies each
record to the state. Writers share one transactional id per topic, which makes Kafka
itself the lock between registry instances: initialising the transactional producer
fences every other instance's producer, so a write can only commit if no other instance
initialised since this one last caught up. After initialising, the writer commits a NOOP
record and waits until its reader has applied it: from then on the state is complete, and
any write another instance makes first shows up as a fenced commit here, which retries
from a fresh producer and a fresh catch-up. NOTES.md states the argument in full.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from registry.server.errors import StoreError, StoreTimeoutError
from registry.server.records import Record, decode, noop_record
from registry.server.state import RegistryState
from registry.server.store import Prepare, StoreHealth, T

log = logging.getLogger(__name__)

_WRITE_ATTEMPTS = 6


class KafkaStore:
    def __init__(
        self,
        bootstrap: str,
        topic: str = "_schemas",
        *,
        timeout: float = 10.0,
        client_config: dict[str, Any] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout = timeout
        self.state = RegistryState()
        self._common = {"bootstrap.servers": bootstrap, **(client_config or {})}
        self._lock = threading.RLock()
        self._applied = threading.Condition(self._lock)
        self._position = 0  # next offset the reader will apply
        self._caught_up = threading.Event()
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._producer: Producer | None = None
        self._reader_error: str | None = None
        self._consumer: Consumer | None = None
        self._thread: threading.Thread | None = None
        self._watermarks: Consumer | None = None
        self._watermark_lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Create or check the topic, then read it to the end before returning."""
        self._ensure_topic()
        self._consumer = Consumer(
            {
                **self._common,
                "group.id": f"ugc-registry-reader-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
                "fetch.wait.max.ms": 20,
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

    def close(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._consumer is not None:
            self._consumer.close()
        if self._watermarks is not None:
            self._watermarks.close()
        if self._producer is not None:
            self._producer.flush(5.0)
            self._producer = None

    def _ensure_topic(self) -> None:
        admin = AdminClient(self._common)
        try:
            metadata = admin.list_topics(timeout=self.timeout)
        except KafkaException as exc:
            raise StoreError(f"Kafka at {self.bootstrap} is unreachable: {exc}") from exc
        existing = metadata.topics.get(self.topic)
        if existing is not None and existing.error is None:
            if len(existing.partitions) != 1:
                raise StoreError(
                    f"topic {self.topic} has {len(existing.partitions)} partitions; the schema "
                    "topic must have exactly one so that every instance sees one order"
                )
            return
        replicas = min(3, len(metadata.brokers))
        config = {"cleanup.policy": "compact", "min.insync.replicas": str(max(1, replicas - 1))}
        futures = admin.create_topics([NewTopic(self.topic, 1, replicas, config=config)])
        try:
            futures[self.topic].result(self.timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise StoreError(f"cannot create topic {self.topic}: {exc}") from exc

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
            event = decode(Record(message.key() or b"", message.value()))
            with self._applied:
                self.state.apply(event)
                self._position = (message.offset() or 0) + 1
                self._applied.notify_all()

    def _wait_applied(self, offset: int) -> None:
        deadline = time.monotonic() + self.timeout
        with self._applied:
            while self._position <= offset:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreTimeoutError(
                        f"the registry did not read back offset {offset} of {self.topic} "
                        f"within {self.timeout:.0f}s"
                    )
                self._applied.wait(left)

    @contextmanager
    def reading(self) -> Iterator[RegistryState]:
        with self._lock:
            yield self.state

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
        with self._write_lock:
            last: Exception | None = None
            for attempt in range(_WRITE_ATTEMPTS):
                try:
                    producer = self._writer()
                    with self._lock:
                        records, result = prepare(self.state)
                    if records:
                        self._wait_applied(self._commit(producer, records))
                    return result
                except KafkaException as exc:
                    last = exc
                    self._recover(exc, attempt)
            raise StoreError(f"could not write to {self.topic}: {last}")

    def _writer(self) -> Producer:
        """The transactional producer, freshly initialised and caught up if it was not."""
        if self._producer is not None:
            return self._producer
        producer = Producer(
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
        self._wait_applied(self._commit(producer, [noop_record()]))
        self._producer = producer
        return producer

    def _commit(self, producer: Producer, records: Sequence[Record]) -> int:
        """Append records in one transaction; return the offset of the last one."""
        offsets: list[int] = []
        failures: list[KafkaError] = []

        def delivered(err: KafkaError | None, message: Any) -> None:
            if err is not None:
                failures.append(err)
            else:
                offsets.append(message.offset())

        producer.begin_transaction()
        for record in records:
            producer.produce(self.topic, record.value, record.key, on_delivery=delivered)
        producer.flush(self.timeout)
        if failures or len(offsets) != len(records):
            producer.abort_transaction(self.timeout)
            raise KafkaException(failures[0] if failures else KafkaError(KafkaError._TIMED_OUT))
        producer.commit_transaction(self.timeout)
        return max(offsets)

    def _recover(self, exc: KafkaException, attempt: int) -> None:
        error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
        log.info("write to %s retried (attempt %d): %s", self.topic, attempt + 1, exc)
        if self._producer is not None and error is not None and error.txn_requires_abort():
            try:
                self._producer.abort_transaction(self.timeout)
            except KafkaException:
                self._producer = None
        if error is None or error.fatal() or not error.retriable():
            # Fenced or broken: another instance wrote since our catch-up, so start over.
            self._producer = None
        time.sleep(min(0.05 * 2**attempt, 1.0))
