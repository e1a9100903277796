"""Reading the dead-letter topic and replaying it: what `ugc dlq list | show | replay` do.

Replay re-produces each letter's original key and value to its source topic, once per
source offset (a crash can leave two letters for one message), and remembers how far it
got in the consumer group `<etl group>.dlq-replay`, so a second replay sends only newer
letters unless asked to start over.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from etl.dead_letter import DeadLetter
from etl.settings import EtlSettings
from ugc.errors import UgcError


def read_letters(
    settings: EtlSettings, *, group: str | None = None, from_start: bool = True
) -> Iterator[tuple[DeadLetter, TopicPartition]]:
    """Every letter up to the current end of the topic (from the group's position unless
    `from_start`), with the position just after it."""
    topic = settings.etl_dead_letter_topic
    consumer = Consumer(
        settings.kafka_config(
            {
                "group.id": group or f"ugc-dlq-reader-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            return
        partitions = [TopicPartition(topic, p) for p in described.partitions]
        ends = {}
        for tp in partitions:
            _, high = consumer.get_watermark_offsets(tp, timeout=10)
            ends[tp.partition] = high
        if group and not from_start:
            positions = consumer.committed(partitions, timeout=10)
        else:
            positions = [TopicPartition(topic, p.partition, OFFSET_BEGINNING) for p in partitions]
        start = [
            TopicPartition(topic, p.partition, p.offset if p.offset >= 0 else OFFSET_BEGINNING)
            for p in positions
        ]
        consumer.assign(start)
        remaining = {p: end for p, end in ends.items() if end > 0}
        yield from _drain(consumer, remaining)
    except KafkaException as exc:
        raise UgcError(f"cannot read {topic}: {exc}") from exc
    finally:
        consumer.close()


def _drain(
    consumer: Consumer, remaining: dict[int, int]
) -> Iterator[tuple[DeadLetter, TopicPartition]]:
    idle = 0
    while remaining and idle < 50:
        messages = consumer.consume(1000, 0.2)
        idle = 0 if messages else idle + 1
        for message in messages:
            if message.error() is not None:
                continue
            partition, offset = message.partition() or 0, message.offset() or 0
            yield (
                DeadLetter.from_message(message),
                TopicPartition(message.topic() or "", partition, offset + 1),
            )
            if offset + 1 >= remaining.get(partition, 0):
                remaining.pop(partition, None)


@dataclass
class ReplayReport:
    replayed: int = 0
    duplicates: int = 0
    skipped: int = 0


def replay(
    settings: EtlSettings,
    *,
    select: Callable[[DeadLetter], bool] = lambda _letter: True,
    from_start: bool = False,
) -> ReplayReport:
    """Re-produce the selected letters to their source topics; acknowledged before return."""
    group = f"{settings.etl_group_id}.dlq-replay"
    producer = Producer(settings.producer_config())
    report = ReplayReport()
    seen: set[tuple[str, int, int]] = set()
    last: dict[int, TopicPartition] = {}
    failures: list[str] = []

    def delivered(error: object, _message: object) -> None:
        if error is not None:
            failures.append(str(error))

    for letter, position in read_letters(settings, group=group, from_start=from_start):
        last[position.partition] = position
        if not select(letter) or not letter.source_topic:
            report.skipped += 1
            continue
        if letter.source in seen:
            report.duplicates += 1
            continue
        seen.add(letter.source)
        producer.produce(
            letter.source_topic, key=letter.key, value=letter.value, on_delivery=delivered
        )
        producer.poll(0)
        report.replayed += 1
    if producer.flush(30) or failures:
        raise UgcError(f"replay not acknowledged by Kafka: {failures[:3]}")
    if last:
        committer = Consumer(
            settings.kafka_config({"group.id": group, "enable.auto.commit": False})
        )
        try:
            committer.commit(offsets=list(last.values()), asynchronous=False)
        finally:
            committer.close()
    return report
