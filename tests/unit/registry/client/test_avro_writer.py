"""The compiled Avro encoder writes exactly fastavro's bytes, for generated datums of a
schema using every construct it compiles, for every event contract, and when it hands a
datum or a schema over to fastavro."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import fastavro
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.loading import load_contracts
from registry.client.avro_writer import compile_encoder

SCHEMAS = Path(__file__).resolve().parents[4] / "schemas"

EVERYTHING: dict[str, Any] = {
    "type": "record",
    "name": "Everything",
    "namespace": "test",
    "fields": [
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "s", "type": "string"},
        {"name": "raw", "type": "bytes"},
        {"name": "n", "type": "null"},
        {"name": "u", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tsu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["R", "G"]}},
        {"name": "again", "type": "Colour"},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "maybe", "type": ["null", "string"]},
        {"name": "late", "type": ["long", "null"]},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "long"}},
        {
            "name": "inner",
            "type": {
                "type": "record",
                "name": "Inner",
                "fields": [{"name": "x", "type": ["null", "double"]}],
            },
        },
    ],
}

moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
datums = st.fixed_dictionaries(
    {
        "b": st.booleans(),
        "i": st.integers(-(2**31), 2**31 - 1),
        "l": st.integers(-(2**63), 2**63 - 1),
        "f": st.floats(width=32, allow_nan=False),
        "d": st.floats(allow_nan=False),
        "s": st.text(),
        "raw": st.binary(),
        "n": st.none(),
        "u": st.uuids().map(str),
        "ts": st.one_of(moments, st.integers(-(2**50), 2**50)),
        "tsu": moments,
        "day": st.one_of(st.dates(), st.integers(-(2**20), 2**20)),
        "colour": st.sampled_from(["R", "G"]),
        "again": st.sampled_from(["R", "G"]),
        "hash": st.binary(min_size=4, max_size=4),
        "maybe": st.none() | st.text(),
        "late": st.none() | st.integers(-(2**63), 2**63 - 1),
        "tags": st.lists(st.text(), max_size=4),
        "counts": st.dictionaries(st.text(), st.integers(-(2**63), 2**63 - 1), max_size=4),
        "inner": st.fixed_dictionaries({"x": st.none() | st.floats(allow_nan=False)}),
    }
)


def fastavro_bytes(schema: Any, datum: Any) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), datum)
    return buffer.getvalue()


ENCODE_EVERYTHING = compile_encoder(EVERYTHING)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(datums)
def test_generated_datums_encode_to_fastavros_bytes(datum: dict[str, Any]) -> None:
    assert ENCODE_EVERYTHING(datum) == fastavro_bytes(EVERYTHING, datum)


def test_every_contract_example_encodes_to_fastavros_bytes() -> None:
    from registry.client.payload import to_datum

    for contract in load_contracts(SCHEMAS):
        server_filled = ("event_id", "user_id", "received_at")
        datum = to_datum(contract.schema, contract.example, optional=server_filled)
        datum.setdefault("event_id", "7c9e6679-7425-40de-944b-e07fc1f90ae7")
        datum["user_id"] = "5f0c3b4e-1d2a-4c6b-8e9f-0a1b2c3d4e5f"
        datum["received_at"] = datetime(2026, 11, 27, 20, 15, 0, 123456, tzinfo=UTC)
        schema = json.loads(contract.schema)
        assert compile_encoder(contract.schema)(datum) == fastavro_bytes(schema, datum)


def test_a_naive_datetime_is_left_to_fastavro() -> None:
    schema = {"type": "record", "name": "T", "fields": [EVERYTHING["fields"][9]]}
    naive = {"ts": datetime(2026, 11, 27, 12, 0) + timedelta(microseconds=1500)}
    assert compile_encoder(schema)(naive) == fastavro_bytes(schema, naive)


def test_a_schema_with_a_wide_union_is_written_by_fastavro() -> None:
    schema = {"type": "record", "name": "W", "fields": [{"name": "v", "type": ["int", "string"]}]}
    for datum in ({"v": 3}, {"v": "three"}):
        assert compile_encoder(schema)(datum) == fastavro_bytes(schema, datum)


def test_dates_and_uuids_objects_fall_back_to_fastavro() -> None:
    import uuid

    schema = {"type": "record", "name": "U", "fields": [EVERYTHING["fields"][8]]}
    datum = {"u": uuid.UUID(int=7)}
    assert compile_encoder(schema)(datum) == fastavro_bytes(schema, datum)
    day = {"type": "record", "name": "D", "fields": [EVERYTHING["fields"][11]]}
    assert compile_encoder(day)({"day": date(1969, 12, 31)}) == fastavro_bytes(
        day, {"day": date(1969, 12, 31)}
    )
