"""The messages of one topic-partition waiting to be loaded, and their runs.

A `PartitionBatch` keeps the consumed messages in offset order. `runs()` cuts it into
`Run`s: maximal stretches of consecutive offsets whose frames name the same writer schema
id. A run is what one fast-path insert loads (its rows take offsets `first + row number`,
hence consecutive). A value that is not Confluent-framed is a run of its own with no
schema id, bound for the dead letters.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from registry.client import wire
from registry.client.errors import WireFormatError


class KafkaMessage(Protocol):
    """What the ETL reads from a confluent-kafka `Message`."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def timestamp(self) -> tuple[int, int]: ...


@dataclass
class Run:
    """messages[start:stop] of a batch, one writer schema, consecutive offsets."""

    schema_id: int | None
    start: int
    stop: int
    wire_error: str | None = None


@dataclass
class PartitionBatch:
    topic: str
    partition: int
    messages: list[KafkaMessage] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    size_bytes: int = 0
    start_offset: int = -1  # first and last offsets consumed, whatever `drop` removed later
    last_offset: int = -1

    def add(self, message: KafkaMessage) -> None:
        value = message.value() or b""
        offset = message.offset() or 0
        self.messages.append(message)
        self.values.append(value)
        self.offsets.append(offset)
        self.size_bytes += len(value)
        if self.start_offset < 0:
            self.start_offset = offset
        self.last_offset = offset

    def __len__(self) -> int:
        return len(self.messages)

    @property
    def first_offset(self) -> int:
        """Where to seek back to: the first offset consumed into this batch."""
        return self.start_offset

    @property
    def next_offset(self) -> int:
        """What to commit once the batch is loaded."""
        return self.last_offset + 1

    def drop(self, keep: Callable[[int], bool]) -> None:
        """Keep only the messages whose offset passes `keep`."""
        kept = [i for i, offset in enumerate(self.offsets) if keep(offset)]
        self.messages = [self.messages[i] for i in kept]
        self.values = [self.values[i] for i in kept]
        self.offsets = [self.offsets[i] for i in kept]

    def runs(self) -> list[Run]:
        runs: list[Run] = []
        head = b""
        previous = -2
        for index, (value, offset) in enumerate(zip(self.values, self.offsets, strict=True)):
            current = value[: wire.HEADER_SIZE]
            if current != head or offset != previous + 1 or not runs or runs[-1].wire_error:
                runs.append(_start_run(value, index))
                head = current
            runs[-1].stop = index + 1
            previous = offset
        return runs


def _start_run(value: bytes, index: int) -> Run:
    try:
        schema_id, _ = wire.unframe(value)
    except WireFormatError as exc:
        return Run(None, index, index + 1, wire_error=str(exc))
    return Run(int(schema_id), index, index + 1)
