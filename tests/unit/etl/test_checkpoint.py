"""The commit protocol: write, dead-letter, then commit; offsets only move forward;
backpressure commits what was written and hands back the rest."""

from __future__ import annotations

import pytest

from etl.checkpoint import Checkpoint, Offsets, OffsetWentBackError, PendingBackpressureError
from etl.dead_letter import DeadLetterWriter
from etl.errors import DeadLetterDownError, Poison, Reason
from etl.sink import DeadMessage, WriteResult

from .fakes import FakeCommitter, FakeMessage, FakeProducer, RecordingSink, framed


def checkpoint(journal: list[str], sink: RecordingSink, *, fail_dlq: bool = False) -> Checkpoint:
    writer = DeadLetterWriter(FakeProducer(journal, fail=fail_dlq), "dlq")  # type: ignore[arg-type]
    return Checkpoint(sink, writer, FakeCommitter(journal), max_rows=3, max_seconds=60)


def fill(point: Checkpoint, topic: str, partition: int, offsets: range) -> None:
    for offset in offsets:
        assert point.add_all([FakeMessage(topic, partition, offset, framed(1))]) == []


def test_batches_are_written_before_their_next_offsets_are_committed() -> None:
    journal: list[str] = []
    point = checkpoint(journal, RecordingSink(journal))
    fill(point, "ugc.a", 0, range(4, 6))
    fill(point, "ugc.a", 1, range(0, 1))
    assert not point.due()
    fill(point, "ugc.a", 0, range(6, 7))
    assert point.due()
    point.flush()
    assert journal == [
        "write ugc.a[0] [4, 5, 6]",
        "write ugc.a[1] [0]",
        "commit ugc.a[0]@7, ugc.a[1]@1",
    ]
    assert point.batches == {}


def test_dead_letters_are_acknowledged_before_the_commit() -> None:
    journal: list[str] = []

    class PoisonSink(RecordingSink):
        def write(self, batch):  # type: ignore[no-untyped-def]
            poison = Poison(Reason.BAD_BODY, "truncated")
            return WriteResult(dead=[DeadMessage(batch.message(0), poison, 1)])

    point = checkpoint(journal, PoisonSink(journal))
    fill(point, "ugc.a", 0, range(0, 1))
    point.flush()
    assert journal == ["dead letter dlq", "commit ugc.a[0]@1"]


def test_a_dead_letter_kafka_refuses_blocks_the_commit() -> None:
    journal: list[str] = []

    class PoisonSink(RecordingSink):
        def write(self, batch):  # type: ignore[no-untyped-def]
            poison = Poison(Reason.BAD_BODY, "truncated")
            return WriteResult(dead=[DeadMessage(batch.message(0), poison, 1)])

    point = checkpoint(journal, PoisonSink(journal), fail_dlq=True)
    fill(point, "ugc.a", 0, range(8, 9))
    with pytest.raises(PendingBackpressureError) as raised:
        point.flush()
    assert isinstance(raised.value.cause, DeadLetterDownError)
    assert raised.value.left == {("ugc.a", 0): 8}
    assert not any(line.startswith("commit") for line in journal)


def test_backpressure_commits_what_was_written_and_hands_back_the_rest() -> None:
    journal: list[str] = []
    point = checkpoint(journal, RecordingSink(journal, push_back_on={("ugc.b", 0)}))
    fill(point, "ugc.a", 0, range(0, 2))
    fill(point, "ugc.b", 0, range(10, 12))
    fill(point, "ugc.c", 0, range(20, 21))
    with pytest.raises(PendingBackpressureError) as raised:
        point.flush()
    assert raised.value.left == {("ugc.b", 0): 10, ("ugc.c", 0): 20}
    assert raised.value.cause.retry_after == 0.5
    assert journal == ["write ugc.a[0] [0, 1]", "commit ugc.a[0]@2"]
    assert point.batches == {}


def test_a_committed_offset_never_moves_back() -> None:
    offsets = Offsets()
    offsets.advance(("ugc.a", 0), 10)
    offsets.advance(("ugc.a", 0), 10)
    with pytest.raises(OffsetWentBackError, match="from 10 to 9"):
        offsets.advance(("ugc.a", 0), 9)
    offsets.forget(("ugc.a", 0))  # reassigned: the group's committed offset rules again
    offsets.advance(("ugc.a", 0), 9)


def test_a_batch_of_min_rows_is_ready_for_an_idle_writer_before_it_is_due() -> None:
    journal: list[str] = []
    writer = DeadLetterWriter(FakeProducer(journal), "dlq")  # type: ignore[arg-type]
    point = Checkpoint(
        RecordingSink(journal),
        writer,
        FakeCommitter(journal),
        max_rows=4,
        max_seconds=60,
        min_rows=2,
    )
    fill(point, "ugc.a", 0, range(0, 1))
    assert not point.ready()
    fill(point, "ugc.a", 0, range(1, 2))
    assert point.ready()
    assert not point.due()
    fill(point, "ugc.a", 0, range(2, 4))
    assert point.due()
