"""Fakes for the ETL's unit tests, implementing the interfaces the real objects offer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from confluent_kafka import TopicPartition

from etl.batch import PartitionBatch
from etl.errors import BackpressureError
from etl.sink import WriteResult
from registry.client import wire
from registry.client.models import SchemaId


@dataclass
class FakeMessage:
    """The parts of confluent_kafka.Message the ETL reads."""

    _topic: str
    _partition: int
    _offset: int
    _value: bytes | None
    _key: bytes | None = b"user"

    def topic(self) -> str | None:
        return self._topic

    def partition(self) -> int | None:
        return self._partition

    def offset(self) -> int | None:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def error(self) -> None:
        return None

    def headers(self) -> list[tuple[str, bytes]] | None:
        return None


def framed(schema_id: int, body: bytes = b"\x02") -> bytes:
    return wire.frame(SchemaId(schema_id), body)


@dataclass
class RecordingSink:
    """Loads nothing; records the batches it was given; can push back on a partition."""

    journal: list[str]
    push_back_on: set[tuple[str, int]] = field(default_factory=set)
    dead_every: int = 0

    def write(self, batch: PartitionBatch) -> WriteResult:
        if (batch.topic, batch.partition) in self.push_back_on:
            raise BackpressureError("warehouse down", retry_after=0.5)
        self.journal.append(f"write {batch.topic}[{batch.partition}] {batch.offsets}")
        return WriteResult(loaded=len(batch))

    def restart(self, topic: str, partition: int) -> None:
        self.journal.append(f"restart {topic}[{partition}]")

    def prepare(self, topic: str, partitions: Sequence[int]) -> None:
        """Nothing to ready: this sink has no tables."""


@dataclass
class FakeCommitter:
    journal: list[str]

    def commit(
        self, *, offsets: list[TopicPartition], asynchronous: Literal[False]
    ) -> list[TopicPartition] | None:
        self.journal.append(
            "commit " + ", ".join(f"{o.topic}[{o.partition}]@{o.offset}" for o in offsets)
        )
        return offsets


@dataclass
class FakeProducer:
    """A confluent Producer that acknowledges (or fails) every message on flush."""

    journal: list[str]
    fail: bool = False
    queued: list[dict[str, Any]] = field(default_factory=list)

    def produce(self, topic: str, **kwargs: Any) -> None:
        self.queued.append({"topic": topic, **kwargs})

    def flush(self, _timeout: float = 0) -> int:
        for item in self.queued:
            self.journal.append(f"dead letter {item['topic']}")
            error = "broker down" if self.fail else None
            item["on_delivery"](error, None)
        self.queued.clear()
        return 0
