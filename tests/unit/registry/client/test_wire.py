"""The Confluent frame: round trip and every way a message can fail to be one."""

from __future__ import annotations

import pytest

from registry.client.errors import DecodeFailure, DeserializationError, WireFormatError
from registry.client.models import SchemaId
from registry.client.wire import MAX_SCHEMA_ID, frame, unframe


@pytest.mark.parametrize("schema_id", [0, 1, 258, MAX_SCHEMA_ID])
@pytest.mark.parametrize("body", [b"", b"\x02hi", bytes(range(256))])
def test_frame_then_unframe_returns_the_id_and_body(schema_id: int, body: bytes) -> None:
    framed = frame(SchemaId(schema_id), body)
    assert len(framed) == 5 + len(body)
    got_id, got_body = unframe(framed)
    assert (got_id, bytes(got_body)) == (schema_id, body)


def test_frame_header_is_magic_zero_then_big_endian_id() -> None:
    assert frame(SchemaId(0x01020304), b"x") == b"\x00\x01\x02\x03\x04x"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty message"),
        (b'{"a": 1}', "magic byte 0x7b is not 0: not Confluent-framed (JSON?)"),
        (b"\x01\x00\x00\x00\x01", "magic byte 0x01 is not 0: not Confluent-framed"),
        (b"\x00\x00\x01", "message of 3 bytes is shorter than the 5-byte header"),
    ],
)
def test_unframe_rejects_what_is_not_a_confluent_frame(data: bytes, message: str) -> None:
    with pytest.raises(WireFormatError) as caught:
        unframe(data)
    assert str(caught.value) == message


def test_wire_errors_are_poison_for_the_etl() -> None:
    with pytest.raises(DeserializationError) as caught:
        unframe(b"")
    assert caught.value.failure is DecodeFailure.WIRE
    assert caught.value.schema_id is None


@pytest.mark.parametrize("schema_id", [-1, MAX_SCHEMA_ID + 1])
def test_frame_refuses_ids_java_cannot_read(schema_id: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        frame(SchemaId(schema_id), b"")


def test_unframe_accepts_a_memoryview_without_copying() -> None:
    data = bytearray(frame(SchemaId(9), b"body"))
    _, body = unframe(memoryview(data))
    data[-1:] = b"Y"
    assert bytes(body) == b"bodY"
