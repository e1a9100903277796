"""JSON payloads become fastavro datums, strictly, with every problem named by its path."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import fastavro
import pytest

from registry.client.payload import PayloadError, build_payload_schema, to_datum

ITEM = {
    "type": "record",
    "name": "Item",
    "doc": "A line of an order.",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "qty", "type": "int", "default": 1},
    ],
}
SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Sample",
    "namespace": "test",
    "doc": "One field of every kind the payload layer maps.",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "owner_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {
            "name": "at_us",
            "type": {"type": "long", "logicalType": "timestamp-micros"},
            "default": 0,
        },
        {"name": "day", "type": {"type": "int", "logicalType": "date"}, "default": 0},
        {"name": "count", "type": "int", "default": 0},
        {"name": "total", "type": "long", "default": 0},
        {"name": "ratio", "type": "float", "default": 0},
        {"name": "score", "type": "double", "default": 0.5},
        {"name": "flag", "type": "boolean", "default": False},
        {"name": "name", "type": "string", "default": ""},
        {"name": "blob", "type": "bytes", "default": "\u00ff"},
        {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 2}, "default": "ab"},
        {
            "name": "kind",
            "type": {"type": "enum", "name": "Kind", "symbols": ["a", "b", "other"]},
            "default": "a",
        },
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "either", "type": ["null", "int", "string"], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "attrs", "type": {"type": "map", "values": "long"}, "default": {}},
        {"name": "items", "type": {"type": "array", "items": ITEM}, "default": []},
        {"name": "main", "type": ["null", "test.Item"], "default": None},
        {"name": "other_kind", "type": ["null", "Kind"], "default": None},
    ],
}
ID = "6f1c0c39-2f47-4e0b-9a0f-4c5d7a1e2b30"
MINIMAL = {"id": ID, "owner_id": ID, "at": "2026-11-27T20:15:00Z"}


def load(**fields: Any) -> dict[str, Any]:
    return to_datum(SCHEMA, {**MINIMAL, **fields})


def problems(payload: object, **options: Any) -> list[dict[str, str]]:
    with pytest.raises(PayloadError) as caught:
        to_datum(SCHEMA, payload, **options)
    return caught.value.errors


def round_trip(datum: dict[str, Any]) -> dict[str, Any]:
    parsed = fastavro.parse_schema(SCHEMA)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, datum)
    buffer.seek(0)
    return cast(dict[str, Any], fastavro.schemaless_reader(buffer, parsed, parsed))


def test_minimal_payload_takes_every_default_and_fastavro_writes_it() -> None:
    datum = load()

    decoded = round_trip(datum)

    assert decoded["id"] == uuid.UUID(ID)
    assert decoded["at"] == datetime(2026, 11, 27, 20, 15, tzinfo=UTC)
    assert (decoded["kind"], decoded["flag"], decoded["score"]) == ("a", False, 0.5)
    assert (decoded["blob"], decoded["digest"]) == (b"\xff", b"ab")
    assert (decoded["note"], decoded["tags"], decoded["attrs"]) == (None, [], {})


def test_full_payload_round_trips_through_fastavro() -> None:
    datum = load(
        count=-(2**31),
        total=2**63 - 1,
        ratio=1.5,
        flag=True,
        blob="AAE=",
        digest="AAE=",
        kind="b",
        note="hi",
        either=7,
        tags=["x"],
        attrs={"k": 3},
        items=[{"name": "popcorn", "qty": 2}],
        main={"name": "soda"},
        other_kind="other",
    )

    decoded = round_trip(datum)

    assert decoded["items"] == [{"name": "popcorn", "qty": 2}]
    assert decoded["main"] == {"name": "soda", "qty": 1}
    assert (decoded["blob"], decoded["digest"], decoded["either"]) == (b"\x00\x01", b"\x00\x01", 7)


@pytest.mark.parametrize(
    ("field", "sent", "expected"),
    [
        ("id", ID.upper(), ID),
        ("at", "2026-11-27T20:15:00Z", datetime(2026, 11, 27, 20, 15, tzinfo=UTC)),
        (
            "at",
            "2026-11-27T23:15:00.250+03:00",
            datetime(2026, 11, 27, 23, 15, 0, 250000, timezone(timedelta(hours=3))),
        ),
        ("at", 1_795_896_000_123, datetime(2026, 11, 28, 20, 0, 0, 123000, tzinfo=UTC)),
        ("at", -1, datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
        ("at_us", 1_500_000, datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)),
        ("day", "2026-11-27", date(2026, 11, 27)),
        ("day", 1, date(1970, 1, 2)),
        ("count", 2**31 - 1, 2**31 - 1),
        ("total", -(2**63), -(2**63)),
        ("ratio", 2, 2.0),
        ("score", 0.25, 0.25),
        ("flag", True, True),
        ("kind", "other", "other"),
        ("note", None, None),
        ("either", "text", "text"),
        ("attrs", {"a": 1, "b": 2}, {"a": 1, "b": 2}),
    ],
)
def test_accepted_json_value_becomes_avro_value(field: str, sent: object, expected: object) -> None:
    assert load(**{field: sent})[field] == expected


@pytest.mark.parametrize(
    ("field", "sent", "message"),
    [
        ("id", "not-a-uuid", "expected a UUID, got 'not-a-uuid'"),
        ("id", 12, "expected string, got integer"),
        ("at", "2026-11-27T20:15:00", "timestamp has no timezone"),
        ("at", "yesterday", "expected RFC 3339 timestamp"),
        ("at", 1.5, "expected RFC 3339 string or integer epoch milliseconds, got number"),
        ("at", True, "got boolean"),
        ("at", 10**20, "out of range"),
        ("day", "27/11/2026", "expected RFC 3339 date"),
        ("count", 2**31, "out of the 32-bit range"),
        ("count", -(2**31) - 1, "out of the 32-bit range"),
        ("total", 2**63, "out of the 64-bit range"),
        ("count", "3", "expected integer, got string"),
        ("count", 3.0, "expected integer, got number"),
        ("count", True, "expected integer, got boolean"),
        ("ratio", 1e39, "out of the range of a 32-bit float"),
        ("score", "0.5", "expected number, got string"),
        ("flag", "true", "expected boolean, got string"),
        ("flag", 1, "expected boolean, got integer"),
        ("name", 5, "expected string, got integer"),
        ("blob", "%%%", "not base64"),
        ("digest", "AAAA", "expected exactly 2 bytes, got 3"),
        ("kind", "c", "'c' is not one of a, b, other"),
        ("note", {"string": "x"}, "expected string, got object"),
        ("either", 1.5, "expected one of int, string, got number"),
        ("tags", "x", "expected array, got string"),
        ("attrs", [1], "expected object, got array"),
        ("main", "soda", "expected object, got string"),
        ("name", None, "may not be null"),
    ],
)
def test_wrong_json_value_is_refused_with_a_message(field: str, sent: object, message: str) -> None:
    [error] = problems({**MINIMAL, field: sent})

    assert error["path"] == field
    assert message in error["message"]


def test_every_problem_is_listed_at_once_with_dotted_paths() -> None:
    payload = {
        "at": "soon",
        "count": "many",
        "items": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": 4, "extra": 1}],
        "attrs": {"ok": 1, "bad": "x"},
        "main": {},
        "surprise": True,
    }

    errors = problems(payload)

    assert {error["path"] for error in errors} == {
        "id",
        "owner_id",
        "at",
        "count",
        "items.3.name",
        "items.3.extra",
        "attrs.bad",
        "main.name",
        "surprise",
    }
    assert {"path": "surprise", "message": "unknown field"} in errors
    assert {"path": "main.name", "message": "required field is missing"} in errors


def test_payload_that_is_not_an_object_is_refused_at_the_root() -> None:
    assert problems([MINIMAL]) == [{"path": "", "message": "expected object, got array"}]


@pytest.mark.parametrize("sent", [ID, None])
def test_server_owned_field_is_refused_when_sent(sent: object) -> None:
    errors = problems({**MINIMAL, "owner_id": sent}, server_owned=["owner_id"])

    assert errors == [{"path": "owner_id", "message": "is set by the server"}]


def test_server_owned_and_optional_fields_may_be_left_out_for_the_caller_to_fill() -> None:
    payload = {"at": 0}

    datum = to_datum(SCHEMA, payload, server_owned=["owner_id"], optional=["id"])

    assert "owner_id" not in datum
    assert "id" not in datum


def test_options_naming_a_field_the_record_lacks_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no field named user_id"):
        build_payload_schema(SCHEMA, server_owned=["user_id"])


def test_schema_is_built_once_per_canonical_text() -> None:
    reformatted = json.dumps(SCHEMA, indent=4)

    assert build_payload_schema(reformatted) is build_payload_schema(SCHEMA)
    assert build_payload_schema(SCHEMA, optional=["id"]) is not build_payload_schema(SCHEMA)


def test_generated_schema_is_named_after_the_record_and_documents_fields() -> None:
    schema = build_payload_schema(SCHEMA)

    assert schema.__name__ == "test.Sample"
    assert schema().fields["kind"].metadata["enum"] == ["a", "b", "other"]


def test_array_defaults_are_fresh_for_every_payload() -> None:
    first = load()
    first["tags"].append("mutated")

    assert load()["tags"] == []


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "enum", "name": "E", "symbols": ["a"]},
        {"type": "record", "name": "R", "fields": [{"name": "x", "type": "Missing"}]},
    ],
)
def test_schema_that_is_not_a_self_contained_record_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build_payload_schema(schema)
