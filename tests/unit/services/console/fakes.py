"""An in-memory `Cluster` for the console's unit tests: topics are lists of messages per
partition, offsets are list indexes, groups are dicts of committed offsets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.console.cluster import (
    Delivered,
    GroupOffset,
    GroupState,
    GroupSummary,
    PartitionState,
    TopicState,
)
from services.console.errors import ConflictError, NotFoundError
from services.console.reader import RawMessage


class FakeCluster:
    def __init__(self) -> None:
        self.partitions: dict[str, list[list[RawMessage]]] = {}
        self.committed: dict[str, dict[tuple[str, int], int]] = {}
        self.members: dict[str, int] = {}
        self.reads: list[tuple[str, int, int, int]] = []

    def close(self) -> None:
        pass

    def add_topic(self, name: str, partitions: int = 1) -> None:
        self.partitions[name] = [[] for _ in range(partitions)]

    def _messages(self, name: str) -> list[list[RawMessage]]:
        if name not in self.partitions:
            raise NotFoundError(f"no topic named {name!r}")
        return self.partitions[name]

    def topics(self) -> list[TopicState]:
        return [self.topic(name) for name in sorted(self.partitions)]

    def topic(self, name: str, *, configs: bool = False) -> TopicState:
        parts = tuple(
            PartitionState(number, 1, (1,), (1,), 0, len(messages))
            for number, messages in enumerate(self._messages(name))
        )
        return TopicState(name, parts, configs={"cleanup.policy": "delete"} if configs else {})

    def create_topic(
        self, name: str, partitions: int, replication: int, configs: Mapping[str, str]
    ) -> None:
        if name in self.partitions:
            raise ConflictError(f"topic {name!r} already exists")
        self.add_topic(name, partitions)

    def delete_topic(self, name: str) -> None:
        self._messages(name)
        del self.partitions[name]

    def read(self, topic: str, partition: int, start: int, stop: int) -> list[RawMessage]:
        self.reads.append((topic, partition, start, stop))
        return self._messages(topic)[partition][start:stop]

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int | None:
        for message in self._messages(topic)[partition]:
            if (message.timestamp_ms or 0) >= timestamp_ms:
                return message.offset
        return None

    def groups(self) -> list[GroupSummary]:
        return [
            GroupSummary(g, "EMPTY" if not self.members.get(g) else "STABLE", 0, "consumer")
            for g in sorted(self.committed)
        ]

    def group(self, group_id: str) -> GroupState:
        if group_id not in self.committed:
            raise NotFoundError(f"no consumer group named {group_id!r}")
        offsets = tuple(
            GroupOffset(t, p, o, len(self._messages(t)[p]))
            for (t, p), o in sorted(self.committed[group_id].items())
        )
        return GroupState(group_id, "EMPTY", 1, (), offsets)

    def reset_offsets(self, group_id: str, offsets: Sequence[tuple[str, int, int]]) -> None:
        if self.members.get(group_id):
            raise ConflictError("the group has members")
        for topic, partition, offset in offsets:
            self.committed.setdefault(group_id, {})[(topic, partition)] = offset

    def produce(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
        partition: int | None = None,
        timestamp_ms: int = 1_764_662_400_000,
    ) -> Delivered:
        messages = self._messages(topic)[partition or 0]
        offset = len(messages)
        messages.append(
            RawMessage(
                topic,
                partition or 0,
                offset,
                timestamp_ms + offset,
                "create",
                key,
                value,
                tuple(headers),
            )
        )
        return Delivered(topic, partition or 0, offset)
