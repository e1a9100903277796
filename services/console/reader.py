"""Reading a range of offsets of one partition, fast whatever the topic's size.

`PartitionReader` keeps one consumer for the process (created lazily, guarded by a lock):
each read assigns the partition at the wanted offset and fetches only that range, so a page
of a million-message topic costs the same as a page of an empty one. The consumer never
subscribes or commits, so it joins no consumer group and shows up in none. Partition EOF
events tell it when the range runs past the end; transaction markers occupy offsets but
are never delivered, so a range can hold fewer messages than offsets.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    TIMESTAMP_LOG_APPEND_TIME,
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)

from services.console.errors import KafkaUnavailableError, NotFoundError

_BATCH = 500


@dataclass(frozen=True)
class RawMessage:
    """One Kafka record as it is on the wire."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    timestamp_kind: str  # "create", "log-append" or "none"
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


def _raw(message: Any) -> RawMessage:
    kind, stamp = message.timestamp()
    named = {TIMESTAMP_NOT_AVAILABLE: "none", TIMESTAMP_LOG_APPEND_TIME: "log-append"}
    return RawMessage(
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        timestamp_ms=None if kind == TIMESTAMP_NOT_AVAILABLE else stamp,
        timestamp_kind=named.get(kind, "create"),
        key=message.key(),
        value=message.value(),
        headers=tuple((name, value or b"") for name, value in message.headers() or []),
    )


class PartitionReader:
    """Reads offset ranges of single partitions with one shared consumer."""

    def __init__(self, config: Mapping[str, Any], *, timeout: float = 10.0) -> None:
        self._config = {
            **config,
            "group.id": f"ugc-console-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            # A fetch waiting at the end of the log would delay the next read of the partition.
            "fetch.wait.max.ms": 5,
            # A page needs 25 messages (a filtered one, chunks of 500): fetch little at once.
            "max.partition.fetch.bytes": 256 * 1024,
        }
        self._timeout = timeout
        self._lock = threading.Lock()
        self._consumer: Consumer | None = None

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None

    def _client(self) -> Consumer:
        if self._consumer is None:
            self._consumer = Consumer(self._config)
        return self._consumer

    def read(self, topic: str, partition: int, start: int, stop: int) -> list[RawMessage]:
        """The messages at offsets [start, stop), in offset order."""
        if stop <= start:
            return []
        with self._lock:
            consumer = self._client()
            try:
                consumer.assign([TopicPartition(topic, partition, start)])
                try:
                    return self._fetch(consumer, topic, partition, start, stop)
                finally:
                    consumer.unassign()
            except KafkaException as exc:
                raise KafkaUnavailableError(f"reading {topic}[{partition}]: {exc}") from exc

    def _fetch(
        self, consumer: Consumer, topic: str, partition: int, start: int, stop: int
    ) -> list[RawMessage]:
        found: list[RawMessage] = []
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            batch = consumer.consume(min(_BATCH, stop - start), 0.2)
            for message in batch:
                if message.topic() != topic or message.partition() != partition:
                    continue  # left over from an earlier assignment
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        return found
                    if error.code() in (
                        KafkaError.UNKNOWN_TOPIC_OR_PART,
                        KafkaError._UNKNOWN_PARTITION,
                    ):
                        raise NotFoundError(f"no such topic or partition: {error.str()}")
                    raise KafkaUnavailableError(f"reading messages: {error.str()}")
                offset = message.offset() or 0
                if offset < start:
                    continue
                if offset >= stop:
                    return found
                found.append(_raw(message))
                if offset == stop - 1:
                    return found
        raise KafkaUnavailableError(f"reading messages: no answer within {self._timeout:.0f}s")

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int | None:
        """The first offset whose timestamp is at or after `timestamp_ms`; None if none is."""
        with self._lock:
            consumer = self._client()
            try:
                found = consumer.offsets_for_times(
                    [TopicPartition(topic, partition, timestamp_ms)], timeout=self._timeout
                )
            except KafkaException as exc:
                raise KafkaUnavailableError(f"looking up a time in {topic}: {exc}") from exc
        offset = found[0].offset
        return None if offset < 0 else int(offset)
