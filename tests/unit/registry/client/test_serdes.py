"""Serialiser and deserialiser through the fake registry: round trips, resolution, failures."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from registry.client.errors import (
    DecodeFailure,
    DeserializationError,
    RegistryUnavailableError,
    SchemaNotFoundError,
    SerializationError,
)
from registry.client.fake import InMemoryRegistry
from registry.client.models import SchemaId, Subject
from registry.client.serdes import AvroDeserializer, AvroSerializer, decode_with, topic_name
from registry.client.wire import frame, unframe

TOPIC = "ugc.rating"
SUBJECT = Subject("ugc.rating-value")
CONTEXT: dict[str, Any] = {
    "type": "record",
    "name": "Context",
    "fields": [
        {"name": "user_agent", "type": "string"},
        {"name": "ip", "type": ["null", "string"], "default": None},
    ],
}
V1: dict[str, Any] = {
    "type": "record",
    "name": "Rating",
    "namespace": "ugc",
    "fields": [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "score", "type": "int"},
        {"name": "review", "type": ["null", "string"], "default": None},
        {"name": "context", "type": CONTEXT},
    ],
}
# v2 widens score to long and adds a field with a default: what the ETL's reader looks like.
V2: dict[str, Any] = {
    **V1,
    "fields": [
        *(f for f in V1["fields"] if f["name"] != "score"),
        {"name": "score", "type": "long"},
        {"name": "source", "type": "string", "default": "web"},
    ],
}
EVENT: dict[str, Any] = {
    "event_id": uuid.UUID("6a2f41a3-c54c-fce8-32d2-0324e1c32e22"),
    "occurred_at": datetime(2025, 3, 1, 12, 30, 15, 123000, tzinfo=UTC),
    "score": 9,
    "review": None,
    "context": {"user_agent": "curl/8", "ip": "10.0.0.1"},
}


@pytest.fixture
def registry() -> InMemoryRegistry:
    registry = InMemoryRegistry()
    registry.register(SUBJECT, json.dumps(V1))
    return registry


def test_topic_name_strategy_appends_value() -> None:
    assert topic_name("ugc.rating") == "ugc.rating-value"


@pytest.mark.parametrize("review", [None, "great film"])
def test_round_trip_keeps_logical_types_unions_and_nested_records(
    registry: InMemoryRegistry, review: str | None
) -> None:
    event = {**EVENT, "review": review}
    data = AvroSerializer(registry).serialize(TOPIC, event)
    assert unframe(data)[0] == registry.get_latest(SUBJECT).id
    assert AvroDeserializer(registry).deserialize(data) == event


def test_old_writer_is_resolved_to_the_readers_schema(registry: InMemoryRegistry) -> None:
    data = AvroSerializer(registry).serialize(TOPIC, EVENT)
    decoded = AvroDeserializer(registry, reader_schema=json.dumps(V2)).decode(data)
    assert decoded.value == {**EVENT, "source": "web"}
    assert decoded.schema_id == registry.get_latest(SUBJECT).id
    assert json.loads(decoded.writer_schema) == V1


def test_serializer_uses_the_latest_version_and_refreshes_after_its_ttl(
    registry: InMemoryRegistry,
) -> None:
    now = [0.0]
    serializer = AvroSerializer(registry, refresh_after=60, clock=lambda: now[0])
    first = serializer.writer_schema_id(TOPIC)
    v2_id = registry.register(SUBJECT, json.dumps(V2))
    assert serializer.writer_schema_id(TOPIC) == first  # still cached
    now[0] = 61.0
    assert serializer.writer_schema_id(TOPIC) == v2_id


def test_serializer_with_a_schema_looks_it_up_or_registers_it(registry: InMemoryRegistry) -> None:
    with pytest.raises(SchemaNotFoundError):
        AvroSerializer(registry, schema=json.dumps(V2)).serialize(TOPIC, EVENT)
    data = AvroSerializer(registry, schema=json.dumps(V2), auto_register=True).serialize(
        TOPIC, EVENT
    )
    assert AvroDeserializer(registry).deserialize(data)["source"] == "web"


def test_serializer_needs_a_schema_or_latest(registry: InMemoryRegistry) -> None:
    with pytest.raises(ValueError, match="use_latest"):
        AvroSerializer(registry, use_latest=False)


def test_a_record_that_does_not_fit_raises_serialization_error(registry: InMemoryRegistry) -> None:
    record = {key: value for key, value in EVENT.items() if key != "score"}
    with pytest.raises(SerializationError, match=r"ugc\.rating-value"):
        AvroSerializer(registry).serialize(TOPIC, record)


def test_writer_schemas_are_fetched_once_per_id(registry: InMemoryRegistry) -> None:
    calls: list[SchemaId] = []

    class Counting(InMemoryRegistry):
        def get_schema(self, schema_id: SchemaId) -> str:
            calls.append(schema_id)
            return registry.get_schema(schema_id)

    data = AvroSerializer(registry).serialize(TOPIC, EVENT)
    deserializer = AvroDeserializer(Counting())
    for _ in range(3):
        deserializer.deserialize(data)
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("mangle", "failure"),
    [
        (lambda data: data[:-3], DecodeFailure.BAD_BODY),  # truncated
        (lambda data: data + b"\x00\x00", DecodeFailure.BAD_BODY),  # trailing garbage
        (lambda data: b"{" + data[1:], DecodeFailure.WIRE),
        (lambda data: frame(SchemaId(999), unframe(data)[1]), DecodeFailure.UNKNOWN_SCHEMA),
    ],
    ids=["truncated", "trailing", "json", "unknown-id"],
)
def test_bad_bytes_raise_deserialization_error_with_a_reason(
    registry: InMemoryRegistry, mangle: Any, failure: DecodeFailure
) -> None:
    data = mangle(AvroSerializer(registry).serialize(TOPIC, EVENT))
    with pytest.raises(DeserializationError) as caught:
        AvroDeserializer(registry).deserialize(data)
    assert caught.value.failure is failure


def test_unresolvable_writer_names_the_schema_id(registry: InMemoryRegistry) -> None:
    data = AvroSerializer(registry).serialize(TOPIC, EVENT)
    reader = {**V1, "fields": [{"name": "score", "type": "string"}]}
    with pytest.raises(DeserializationError) as caught:
        AvroDeserializer(registry, reader_schema=json.dumps(reader)).deserialize(data)
    assert caught.value.failure is DecodeFailure.UNRESOLVABLE
    assert f"schema id {unframe(data)[0]}" in str(caught.value)


def test_an_unavailable_registry_is_not_poison(registry: InMemoryRegistry) -> None:
    class Down(InMemoryRegistry):
        def get_schema(self, schema_id: SchemaId) -> str:
            raise RegistryUnavailableError("registry down")

    data = AvroSerializer(registry).serialize(TOPIC, EVENT)
    with pytest.raises(RegistryUnavailableError):
        AvroDeserializer(Down()).deserialize(data)


def test_decode_with_reads_an_unframed_body() -> None:
    registry = InMemoryRegistry()
    registry.register(SUBJECT, json.dumps(V1))
    _, body = unframe(AvroSerializer(registry).serialize(TOPIC, EVENT))
    assert decode_with(json.dumps(V1), body) == EVENT
    assert decode_with(json.dumps(V1), body, json.dumps(V2))["source"] == "web"
    with pytest.raises(DeserializationError) as caught:
        decode_with('{"type": "nope"}', body)
    assert caught.value.failure is DecodeFailure.BAD_SCHEMA
