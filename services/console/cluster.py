"""What the console asks of Kafka: the `Cluster` protocol, the shapes it answers with, and
`KafkaCluster`, the implementation over confluent-kafka's AdminClient, one pooled consumer
(`services.console.reader`) and one producer.

Every `KafkaException` is translated here, once: an unknown topic or group becomes
`NotFoundError`, a refused request (topic exists, group not empty, bad config) a
`ConflictError` or `BadInputError`, and anything else `KafkaUnavailableError`. Message
counts are watermark differences (high - low), exact for an append-only topic and an upper
bound for a compacted one or one with transaction markers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    ConfigResource,
    NewTopic,
    OffsetSpec,
    ResourceType,
)

from services.console.errors import (
    BadInputError,
    ConflictError,
    KafkaUnavailableError,
    NotFoundError,
)
from services.console.reader import PartitionReader, RawMessage

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class PartitionState:
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    low: int
    high: int

    @property
    def messages(self) -> int:
        return self.high - self.low


@dataclass(frozen=True)
class TopicState:
    name: str
    partitions: tuple[PartitionState, ...]
    internal: bool = False
    configs: Mapping[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self.partitions)

    def partition(self, number: int) -> PartitionState:
        for state in self.partitions:
            if state.partition == number:
                return state
        raise NotFoundError(f"topic {self.name!r} has no partition {number}")


@dataclass(frozen=True)
class GroupSummary:
    group_id: str
    state: str
    members: int
    protocol_type: str


@dataclass(frozen=True)
class GroupMember:
    member_id: str
    client_id: str
    host: str
    assignment: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GroupOffset:
    topic: str
    partition: int
    committed: int | None
    high: int

    @property
    def lag(self) -> int | None:
        return None if self.committed is None else max(0, self.high - self.committed)


@dataclass(frozen=True)
class GroupState:
    group_id: str
    state: str
    coordinator: int | None
    members: tuple[GroupMember, ...]
    offsets: tuple[GroupOffset, ...]

    @property
    def lag(self) -> int:
        return sum(o.lag or 0 for o in self.offsets)


@dataclass(frozen=True)
class Delivered:
    topic: str
    partition: int
    offset: int


class Cluster(Protocol):
    """The Kafka operations the console's pages use."""

    def close(self) -> None: ...

    def topics(self) -> list[TopicState]: ...

    def topic(self, name: str, *, configs: bool = False) -> TopicState: ...

    def create_topic(
        self, name: str, partitions: int, replication: int, configs: Mapping[str, str]
    ) -> None: ...

    def delete_topic(self, name: str) -> None: ...

    def read(self, topic: str, partition: int, start: int, stop: int) -> list[RawMessage]: ...

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int | None: ...

    def groups(self) -> list[GroupSummary]: ...

    def group(self, group_id: str) -> GroupState: ...

    def reset_offsets(self, group_id: str, offsets: Sequence[tuple[str, int, int]]) -> None: ...

    def produce(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
        partition: int | None = None,
    ) -> Delivered: ...


# Errors of a partition whose leader is being elected: asking again shortly succeeds.
_ELECTING = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_PARTITION,
    # A broker that has not yet learned the new partition's leader epoch (seen in CI on a
    # topic created a moment before: "Leader epoch is newer than broker epoch").
    KafkaError.UNKNOWN_LEADER_EPOCH,
    KafkaError.FENCED_LEADER_EPOCH,
}
_LEADER_WAIT = 5.0

_NOT_FOUND = {
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError._UNKNOWN_PARTITION,
    KafkaError.GROUP_ID_NOT_FOUND,
}
# UNKNOWN_MEMBER_ID is what a coordinator answers an offset change for a group that has
# members (the admin client is not one of them).
_CONFLICT = {
    KafkaError.TOPIC_ALREADY_EXISTS,
    KafkaError.NON_EMPTY_GROUP,
    KafkaError.UNKNOWN_MEMBER_ID,
}
_BAD_INPUT = {
    KafkaError.TOPIC_EXCEPTION,
    KafkaError.INVALID_PARTITIONS,
    KafkaError.INVALID_REPLICATION_FACTOR,
    KafkaError.INVALID_CONFIG,
    KafkaError.POLICY_VIOLATION,
    KafkaError.MSG_SIZE_TOO_LARGE,
    KafkaError.INVALID_REQUEST,
}


def translate(exc: KafkaException | Exception, doing: str) -> Exception:
    """The console error for a Kafka failure while `doing` something."""
    error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
    code = error.code() if error is not None else None
    text = error.str() if error is not None else str(exc)
    if code in _NOT_FOUND:
        return NotFoundError(f"{doing}: {text}")
    if code in _CONFLICT:
        return ConflictError(f"{doing}: {text}")
    if code in _BAD_INPUT:
        return BadInputError(f"{doing}: {text}")
    return KafkaUnavailableError(f"{doing}: {text}")


def _result(future: Future[T], doing: str, timeout: float) -> T:
    try:
        return future.result(timeout=timeout)
    except KafkaException as exc:
        raise translate(exc, doing) from exc
    except TimeoutError as exc:
        raise KafkaUnavailableError(f"{doing}: no answer within {timeout:.0f}s") from exc


class KafkaCluster:
    """`Cluster` over a real Kafka cluster; `config` is librdkafka's client configuration."""

    def __init__(self, config: Mapping[str, Any], *, timeout: float = 10.0) -> None:
        self._config = dict(config)
        self._timeout = timeout
        self._admin_client: AdminClient | None = None
        self._reader = PartitionReader(self._config, timeout=timeout)
        self._producer: Producer | None = None

    @property
    def _admin(self) -> AdminClient:
        if self._admin_client is None:
            self._admin_client = AdminClient(
                {**self._config, "socket.timeout.ms": int(self._timeout * 1000)}
            )
        return self._admin_client

    def close(self) -> None:
        """Leave the cluster: the consumer closes, the producer flushes, and every client is
        dropped (librdkafka handles end when the last reference goes), even if this object
        lives on."""
        self._reader.close()
        if self._producer is not None:
            self._producer.flush(self._timeout)
        self._producer = None
        self._admin_client = None

    def _metadata(self) -> Any:
        # Always the whole cluster's metadata: asking for one topic by name makes a broker
        # with auto.create.topics.enable create it, so a typo in a URL would make a topic.
        try:
            return self._admin.list_topics(timeout=self._timeout)
        except KafkaException as exc:
            raise translate(exc, "reading the cluster's metadata") from exc

    def _watermarks(
        self, partitions: list[TopicPartition]
    ) -> dict[tuple[str, int], tuple[int, int]]:
        """(low, high) of each partition. A partition whose leader is still being elected
        (a topic created a moment ago) is asked again for up to `_LEADER_WAIT` seconds."""
        deadline = time.monotonic() + _LEADER_WAIT
        while True:
            try:
                return self._list_watermarks(partitions)
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                retriable = isinstance(error, KafkaError) and error.code() in _ELECTING
                if not retriable or time.monotonic() > deadline:
                    raise translate(exc, "reading partition offsets") from exc
                time.sleep(0.2)

    def _list_watermarks(
        self, partitions: list[TopicPartition]
    ) -> dict[tuple[str, int], tuple[int, int]]:
        marks: dict[tuple[str, int], list[int]] = {
            (p.topic, p.partition): [0, 0] for p in partitions
        }
        specs = (OffsetSpec.earliest(), OffsetSpec.latest())  # type: ignore[no-untyped-call]
        for index, spec in enumerate(specs):
            if not partitions:
                break
            futures = self._admin.list_offsets(
                {p: spec for p in partitions}, request_timeout=self._timeout
            )
            for tp, future in futures.items():
                try:
                    info = future.result(timeout=self._timeout)
                except TimeoutError as exc:
                    raise KafkaUnavailableError(
                        f"reading the offsets of {tp.topic}: no answer in time"
                    ) from exc
                marks[(tp.topic, tp.partition)][index] = info.offset
        return {key: (low, high) for key, (low, high) in marks.items()}

    def _states(self, metadata: Any, names: list[str]) -> list[TopicState]:
        partitions = [
            TopicPartition(name, number)
            for name in names
            for number in metadata.topics[name].partitions
        ]
        marks = self._watermarks(partitions)
        states = []
        for name in names:
            described = metadata.topics[name]
            parts = tuple(
                PartitionState(
                    number,
                    info.leader,
                    tuple(info.replicas),
                    tuple(info.isrs),
                    *marks[(name, number)],
                )
                for number, info in sorted(described.partitions.items())
            )
            states.append(TopicState(name, parts, internal=name.startswith("__")))
        return states

    def topics(self) -> list[TopicState]:
        metadata = self._metadata()
        names = sorted(name for name, t in metadata.topics.items() if t.error is None)
        return self._states(metadata, names)

    def topic(self, name: str, *, configs: bool = False) -> TopicState:
        metadata = self._metadata()
        described = metadata.topics.get(name)
        if described is None or described.error is not None:
            raise NotFoundError(f"no topic named {name!r}")
        state = self._states(metadata, [name])[0]
        if not configs:
            return state
        resource = ConfigResource(ResourceType.TOPIC, name)
        future = self._admin.describe_configs([resource], request_timeout=self._timeout)[resource]
        entries = _result(future, f"reading the configuration of {name}", self._timeout)
        shown = {key: str(entry.value) for key, entry in sorted(entries.items())}
        return TopicState(state.name, state.partitions, state.internal, shown)

    def create_topic(
        self, name: str, partitions: int, replication: int, configs: Mapping[str, str]
    ) -> None:
        new = NewTopic(name, partitions, replication, config=dict(configs))
        future = self._admin.create_topics([new], request_timeout=self._timeout)[name]
        _result(future, f"creating topic {name!r}", self._timeout)
        log.info("created topic %s (%d partitions)", name, partitions)

    def delete_topic(self, name: str) -> None:
        self.topic(name)
        future = self._admin.delete_topics([name], request_timeout=self._timeout)[name]
        _result(future, f"deleting topic {name!r}", self._timeout)
        log.info("deleted topic %s", name)

    def read(self, topic: str, partition: int, start: int, stop: int) -> list[RawMessage]:
        return self._reader.read(topic, partition, start, stop)

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int | None:
        return self._reader.offset_for_time(topic, partition, timestamp_ms)

    def groups(self) -> list[GroupSummary]:
        listed = _result(
            self._admin.list_consumer_groups(request_timeout=self._timeout),
            "listing consumer groups",
            self._timeout,
        )
        ids = sorted(g.group_id for g in listed.valid)
        if not ids:
            return []
        described = self._admin.describe_consumer_groups(ids, request_timeout=self._timeout)
        summaries = []
        for group_id in ids:
            info = _result(described[group_id], f"describing group {group_id}", self._timeout)
            summaries.append(
                GroupSummary(group_id, _state_name(info.state), len(info.members), _protocol(info))
            )
        return summaries

    def group(self, group_id: str) -> GroupState:
        futures = self._admin.describe_consumer_groups([group_id], request_timeout=self._timeout)
        info = _result(futures[group_id], f"describing group {group_id!r}", self._timeout)
        state = _state_name(info.state)
        if state in ("DEAD", "UNKNOWN") and not info.members:
            raise NotFoundError(f"no consumer group named {group_id!r}")
        members = tuple(
            GroupMember(
                m.member_id,
                m.client_id,
                m.host,
                tuple(sorted((tp.topic, tp.partition) for tp in m.assignment.topic_partitions)),
            )
            for m in info.members
        )
        request = [ConsumerGroupTopicPartitions(group_id)]
        offsets_future = self._admin.list_consumer_group_offsets(
            request, request_timeout=self._timeout
        )[group_id]
        committed = _result(offsets_future, f"reading offsets of {group_id!r}", self._timeout)
        # Offsets a group committed on a topic deleted since are left out: no end to lag by.
        existing = self._metadata().topics
        positions = [
            tp for tp in committed.topic_partitions if tp.error is None and tp.topic in existing
        ]
        marks = self._watermarks([TopicPartition(tp.topic, tp.partition) for tp in positions])
        offsets = tuple(
            GroupOffset(
                tp.topic,
                tp.partition,
                tp.offset if tp.offset >= 0 else None,
                marks[(tp.topic, tp.partition)][1],
            )
            for tp in sorted(positions, key=lambda tp: (tp.topic, tp.partition))
        )
        coordinator = info.coordinator.id if info.coordinator is not None else None
        return GroupState(group_id, state, coordinator, members, offsets)

    def reset_offsets(self, group_id: str, offsets: Sequence[tuple[str, int, int]]) -> None:
        partitions = [TopicPartition(topic, p, offset) for topic, p, offset in offsets]
        request = [ConsumerGroupTopicPartitions(group_id, partitions)]
        doing = f"resetting offsets of {group_id!r} (only an empty group's offsets can change)"
        future = self._admin.alter_consumer_group_offsets(request, request_timeout=self._timeout)
        result = _result(future[group_id], doing, self._timeout)
        failed = [tp for tp in result.topic_partitions if tp.error is not None]
        if failed:
            raise translate(KafkaException(failed[0].error), doing)
        log.info("reset %d offsets of group %s", len(partitions), group_id)

    def produce(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
        partition: int | None = None,
    ) -> Delivered:
        if self._producer is None:
            self._producer = Producer(
                {**self._config, "acks": "all", "enable.idempotence": True, "linger.ms": 0}
            )
        outcome: list[Any] = []

        def delivered(error: KafkaError | None, message: Any) -> None:
            outcome.append(error if error is not None else message)

        options: dict[str, Any] = {"key": key, "value": value, "headers": list(headers)}
        if partition is not None:
            options["partition"] = partition
        try:
            self._producer.produce(topic, on_delivery=delivered, **options)
        except (KafkaException, BufferError) as exc:
            raise translate(exc, f"producing to {topic!r}") from exc
        self._producer.flush(self._timeout)
        if not outcome:
            raise KafkaUnavailableError(f"producing to {topic!r}: not acknowledged in time")
        if isinstance(outcome[0], KafkaError):
            raise translate(KafkaException(outcome[0]), f"producing to {topic!r}")
        message = outcome[0]
        return Delivered(message.topic(), message.partition(), message.offset())


def _state_name(state: Any) -> str:
    return str(getattr(state, "name", state))


def _protocol(info: Any) -> str:
    return "consumer" if info.is_simple_consumer_group is False else "simple"
