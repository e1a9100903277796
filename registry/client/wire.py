"""The Confluent wire format, and the only code that touches its bytes.

A framed message is the magic byte 0, the writer schema's registry id as a 4-byte
big-endian integer, then the Avro binary body written with that schema (no container
header, no sync markers). Every producer and consumer in the Kafka ecosystem (confluent-kafka,
ClickHouse's AvroConfluent format, kcat, kafka-ui) agrees on these five header bytes.
"""

from __future__ import annotations

import struct

from registry.client.errors import WireFormatError
from registry.client.models import SchemaId

MAGIC_BYTE = 0
HEADER = struct.Struct(">BI")
HEADER_SIZE = HEADER.size  # 5
# Java reads the id as a signed int, so anything above this would turn negative there.
MAX_SCHEMA_ID = 2**31 - 1

# First bytes that suggest the producer sent JSON instead of Avro; used only for the hint.
_JSON_STARTS = frozenset(b'{["')


def frame(schema_id: SchemaId, body: bytes | bytearray | memoryview) -> bytes:
    """The Confluent-framed message carrying `body`, written with schema `schema_id`."""
    if not 0 <= schema_id <= MAX_SCHEMA_ID:
        raise ValueError(f"schema id {schema_id} is outside [0, {MAX_SCHEMA_ID}]")
    return HEADER.pack(MAGIC_BYTE, schema_id) + body


def unframe(data: bytes | bytearray | memoryview) -> tuple[SchemaId, memoryview]:
    """The writer's schema id and the Avro body of a framed message, without copying it.

    Raises WireFormatError when the bytes cannot be a Confluent-framed message.
    """
    view = memoryview(data)
    if not view:
        raise WireFormatError("empty message")
    magic = view[0]
    if magic != MAGIC_BYTE:
        hint = " (JSON?)" if magic in _JSON_STARTS else ""
        raise WireFormatError(
            f"magic byte {magic:#04x} is not {MAGIC_BYTE}: not Confluent-framed{hint}"
        )
    if len(view) < HEADER_SIZE:
        raise WireFormatError(
            f"message of {len(view)} bytes is shorter than the {HEADER_SIZE}-byte header"
        )
    _, schema_id = HEADER.unpack_from(view)
    if schema_id > MAX_SCHEMA_ID:
        raise WireFormatError(
            f"schema id field {schema_id:#010x} is negative as the signed 32-bit int that"
            " every registry uses: not a registry id"
        )
    return SchemaId(schema_id), view[HEADER_SIZE:]
