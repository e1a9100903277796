"""Partition batches and their runs: one writer schema, consecutive offsets."""

from __future__ import annotations

from etl.batch import PartitionBatch

from .fakes import FakeMessage, framed


def batch_of(*items: tuple[int, bytes]) -> PartitionBatch:
    batch = PartitionBatch("ugc.rating", 0)
    for offset, value in items:
        batch.add(FakeMessage("ugc.rating", 0, offset, value))
    return batch


def test_a_run_ends_where_the_schema_id_changes_or_an_offset_is_skipped() -> None:
    batch = batch_of((10, framed(1)), (11, framed(1)), (12, framed(2)), (14, framed(2)))
    runs = [(r.schema_id, r.start, r.stop) for r in batch.runs()]
    assert runs == [(1, 0, 2), (2, 2, 3), (2, 3, 4)]


def test_an_unframed_value_is_a_run_of_its_own_with_the_wire_error() -> None:
    batch = batch_of((0, framed(1)), (1, b'{"json": true}'), (2, b""), (3, framed(1)))
    runs = batch.runs()
    assert [(r.schema_id, r.start, r.stop) for r in runs] == [
        (1, 0, 1),
        (None, 1, 2),
        (None, 2, 3),
        (1, 3, 4),
    ]
    assert "JSON?" in (runs[1].wire_error or "")
    assert "empty message" in (runs[2].wire_error or "")


def test_dropping_loaded_messages_keeps_where_to_seek_and_what_to_commit() -> None:
    batch = batch_of((5, framed(1)), (6, framed(1)), (7, framed(1)))
    batch.drop(lambda offset: offset != 6)
    assert batch.offsets == [5, 7]
    assert (batch.first_offset, batch.next_offset) == (5, 8)
    batch.drop(lambda _offset: False)
    assert (len(batch), batch.runs(), batch.next_offset) == (0, [], 8)
