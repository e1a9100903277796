"""The Python path's rows: each column's value found by its path in the decoded record."""

from __future__ import annotations

from typing import Any

from etl.batch import PartitionBatch
from etl.mapping import columns_of
from etl.sink import _row
from registry.client.avro.parse import parse_schema

from .fakes import FakeMessage, framed
from .test_mapping import record


def test_a_null_optional_array_or_map_becomes_empty_and_a_nested_leaf_is_found() -> None:
    columns = columns_of(
        parse_schema(
            record(
                {"name": "tags", "type": ["null", {"type": "array", "items": "string"}]},
                {"name": "counts", "type": [{"type": "map", "values": "int"}, "null"]},
                {"name": "note", "type": ["null", "string"]},
                {
                    "name": "context",
                    "type": {
                        "type": "record",
                        "name": "C",
                        "fields": [{"name": "app", "type": "string"}],
                    },
                },
            )
        ).root
    )
    batch = PartitionBatch("ugc.tagged", 2)
    batch.add(FakeMessage("ugc.tagged", 2, 41, framed(9)))
    decoded: dict[str, Any] = {
        "tags": None,
        "counts": None,
        "note": None,
        "context": {"app": "web"},
    }
    assert _row(decoded, columns, 9, batch, 0) == [[], {}, None, "web", 9, "ugc.tagged", 2, 41]
    decoded = {"tags": ["a"], "counts": {"k": 1}, "note": "n", "context": {"app": "tv"}}
    assert _row(decoded, columns, 9, batch, 0)[:4] == [["a"], {"k": 1}, "n", "tv"]
