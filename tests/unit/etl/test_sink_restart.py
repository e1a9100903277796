"""After a restart the sink skips every offset a dead owner already loaded, also those
beyond the first batch it is given."""

from __future__ import annotations

from typing import Any, cast

from etl.batch import PartitionBatch
from etl.sink import WarehouseSink

from .fakes import FakeMessage, framed


class LoadedOffsets:
    """The catalog's one question on this path: which offsets some table holds."""

    def __init__(self, held: set[int]) -> None:
        self.held, self.asked = held, 0

    def loaded_offsets(self, topic: str, partition: int, from_offset: int) -> set[int]:
        self.asked += 1
        return {o for o in self.held if o >= from_offset}


def _batch(*offsets: int) -> PartitionBatch:
    batch = PartitionBatch("ugc.rating", 0)
    for offset in offsets:
        batch.add(FakeMessage("ugc.rating", 0, offset, framed(1)))
    return batch


def test_offsets_loaded_beyond_the_first_batch_are_skipped_too() -> None:
    catalog = LoadedOffsets(set(range(6)))
    nothing = cast(Any, None)  # nothing is loaded, so neither is ever called
    sink = WarehouseSink(nothing, cast(Any, catalog), nothing)
    sink.restart("ugc.rating", 0)
    assert sink.write(_batch(0, 1, 2)).skipped == 3
    assert sink.write(_batch(3, 4, 5)).skipped == 3
    assert catalog.asked == 1
