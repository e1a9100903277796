"""The dead-letter topic: one record per message that no retry will load.

A dead letter carries the original key and value untouched (so `ugc dlq replay` can put
them back on their source topic byte for byte) and says why in its headers:
`ugc.reason` (the `etl.errors.Reason`), `ugc.error` (the error text), `ugc.source.topic`,
`ugc.source.partition`, `ugc.source.offset`, `ugc.schema_id` (absent when the frame had
none) and `ugc.failed_at` (ms since the epoch). `DeadLetterWriter.flush` must succeed
before the source offsets are committed; Kafka trouble there is `DeadLetterDownError`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from etl.batch import KafkaMessage
from etl.errors import DeadLetterDownError, Poison, Reason

HEADER_PREFIX = "ugc."


@dataclass(frozen=True)
class DeadLetter:
    """A dead-letter record as read back from the topic."""

    offset: int
    key: bytes | None
    value: bytes | None
    reason: str
    error: str
    source_topic: str
    source_partition: int
    source_offset: int
    schema_id: int | None
    failed_at: int

    @classmethod
    def from_message(cls, message: Any) -> DeadLetter:
        headers = {k: (v or b"").decode("utf-8", "replace") for k, v in message.headers() or []}

        def get(name: str) -> str:
            return headers.get(HEADER_PREFIX + name, "")

        schema_id = get("schema_id")
        return cls(
            offset=message.offset(),
            key=message.key(),
            value=message.value(),
            reason=get("reason"),
            error=get("error"),
            source_topic=get("source.topic"),
            source_partition=int(get("source.partition") or -1),
            source_offset=int(get("source.offset") or -1),
            schema_id=int(schema_id) if schema_id else None,
            failed_at=int(get("failed_at") or 0),
        )

    @property
    def source(self) -> tuple[str, int, int]:
        return (self.source_topic, self.source_partition, self.source_offset)


def headers_for(
    message: KafkaMessage, poison: Poison, schema_id: int | None, now_ms: int
) -> list[tuple[str, str | bytes | None]]:
    fields = {
        "reason": poison.reason.value,
        "error": poison.error[:4000],
        "source.topic": message.topic() or "",
        "source.partition": str(message.partition()),
        "source.offset": str(message.offset()),
        "failed_at": str(now_ms),
    }
    if schema_id is not None:
        fields["schema_id"] = str(schema_id)
    return [(HEADER_PREFIX + k, v.encode()) for k, v in fields.items()]


class DeadLetterWriter:
    """Produces dead letters; `flush` returns only once Kafka acknowledged all of them."""

    def __init__(self, producer: Producer, topic: str, *, timeout: float = 30.0) -> None:
        self.producer = producer
        self.topic = topic
        self.timeout = timeout
        self._failures: list[str] = []
        self.sent: dict[Reason, int] = {}

    def send(self, message: KafkaMessage, poison: Poison, schema_id: int | None) -> None:
        headers = headers_for(message, poison, schema_id, int(time.time() * 1000))
        try:
            self.producer.produce(
                self.topic,
                key=message.key(),
                value=message.value(),
                headers=headers,
                on_delivery=self._delivered,
            )
        except (KafkaException, BufferError) as exc:
            raise DeadLetterDownError(f"cannot queue a dead letter: {exc}") from exc
        self.sent[poison.reason] = self.sent.get(poison.reason, 0) + 1

    def _delivered(self, error: KafkaError | None, _message: Any) -> None:
        if error is not None:
            self._failures.append(str(error))

    def flush(self) -> None:
        remaining = self.producer.flush(self.timeout)
        failures, self._failures = self._failures, []
        if remaining or failures:
            raise DeadLetterDownError(
                f"dead letters not acknowledged: {remaining} pending, failures {failures[:3]}",
                retry_after=2.0,
            )
