"""Property-based tests of the Confluent frame parser and the deserializer behind it: any
bytes a topic may hold either decode to a record or raise DeserializationError with its
reason class (poison for the ETL), never anything else; frames round-trip."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contracts.conventions import CLIENT_OPTIONAL_FIELDS, SERVER_OWNED_FIELDS
from contracts.loading import Contract, load_contracts
from registry.client.errors import DecodeFailure, DeserializationError, WireFormatError
from registry.client.fake import InMemoryRegistry
from registry.client.models import SchemaId
from registry.client.payload import to_datum
from registry.client.serdes import AvroDeserializer, AvroSerializer
from registry.client.wire import HEADER_SIZE, MAX_SCHEMA_ID, frame, unframe

SCHEMAS_DIR = Path(__file__).resolve().parents[4] / "schemas"
CONTRACTS = load_contracts(SCHEMAS_DIR)
IDS = st.integers(min_value=0, max_value=MAX_SCHEMA_ID)
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@given(data=st.binary(max_size=64))
@example(data=b"\x00\x80\x00\x00\x00")
def test_unframe_splits_a_frame_or_refuses_it_with_a_wire_error(data: bytes) -> None:
    for given_as in (data, bytearray(data), memoryview(data)):
        try:
            schema_id, body = unframe(given_as)
        except WireFormatError as exc:
            assert exc.failure is DecodeFailure.WIRE
            assert (
                not data
                or data[0] != 0
                or len(data) < HEADER_SIZE
                or int.from_bytes(data[1:HEADER_SIZE]) > MAX_SCHEMA_ID
            )
            continue
        assert frame(schema_id, body) == data


@given(schema_id=IDS, body=st.binary(max_size=64))
def test_frame_then_unframe_gives_back_the_id_and_the_body(schema_id: int, body: bytes) -> None:
    got_id, got_body = unframe(frame(SchemaId(schema_id), body))
    assert (got_id, bytes(got_body)) == (schema_id, body)


@given(
    schema_id=st.integers(max_value=-1) | st.integers(min_value=MAX_SCHEMA_ID + 1),
    body=st.binary(max_size=4),
)
def test_an_id_outside_java_int_range_cannot_be_framed(schema_id: int, body: bytes) -> None:
    with pytest.raises(ValueError, match="outside"):
        frame(SchemaId(schema_id), body)


@pytest.fixture(scope="module")
def registered() -> tuple[InMemoryRegistry, list[bytes]]:
    """Every contract registered, and one valid framed message per contract."""
    registry = InMemoryRegistry()
    messages = []
    for contract in CONTRACTS:
        registry.register(contract.subject, contract.schema)
        serializer = AvroSerializer(registry)
        messages.append(serializer.serialize(contract.topic, _record(contract)))
    return registry, messages


def _record(contract: Contract) -> dict[str, Any]:
    """The contract's example as the API completes it before writing."""
    datum = to_datum(
        contract.schema,
        contract.example,
        server_owned=SERVER_OWNED_FIELDS,
        optional=CLIENT_OPTIONAL_FIELDS,
    )
    filled = {"user_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "received_at": NOW}
    return {"event_id": "0b8f5d4e-2c1a-4f3b-8e6d-9a7c5b3d1e20", **datum, **filled}


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """A decode that hangs (a block count of 2^62) fails the example instead of the run."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"decoding took over {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _decodes_or_is_poison(registry: InMemoryRegistry, data: bytes) -> None:
    deserializer = AvroDeserializer(registry)
    try:
        with _deadline(5):
            record = deserializer.deserialize(data)
    except DeserializationError as exc:
        assert isinstance(exc.failure, DecodeFailure)
        return
    assert isinstance(record, dict)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_valid_message_with_any_bytes_changed_decodes_or_is_poison(
    registered: tuple[InMemoryRegistry, list[bytes]], data: Any
) -> None:
    registry, messages = registered
    message = bytearray(data.draw(st.sampled_from(messages)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=len(message)))
        edit = data.draw(st.sampled_from(["replace", "insert", "truncate"]))
        chunk = data.draw(st.binary(min_size=1, max_size=9))
        if edit == "replace":
            message[at : at + len(chunk)] = chunk
        elif edit == "insert":
            message[at:at] = chunk
        else:
            del message[at:]
    _decodes_or_is_poison(registry, bytes(message))


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=48), schema_id=st.integers(min_value=0, max_value=12))
def test_any_body_under_any_id_decodes_or_is_poison(
    registered: tuple[InMemoryRegistry, list[bytes]], body: bytes, schema_id: int
) -> None:
    registry, _ = registered
    _decodes_or_is_poison(registry, frame(SchemaId(schema_id), body))


def test_every_contract_message_round_trips(
    registered: tuple[InMemoryRegistry, list[bytes]],
) -> None:
    registry, messages = registered
    for contract, message in zip(CONTRACTS, messages, strict=True):
        record = AvroDeserializer(registry).deserialize(message)
        assert set(record) == {spec["name"] for spec in contract.parsed_schema["fields"]}
