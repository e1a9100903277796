"""The JSON Schema of a payload, in OpenAPI 3.0's dialect: this module owns writing down what
`registry.client.payload` reads, from the very marshmallow schema that reads it, so a
document built from it and the validator cannot disagree.

Each field class of `registry.client.payload_fields` has one writer in `WRITERS` (a test
fails if a class is missing), and every limit comes from the field itself: integer ranges,
the epoch integers a timestamp may be, the enum's symbols. Records are written inline with
`additionalProperties: false` (unknown fields are refused); a record met again inside itself
(a recursive type) is a `$ref` to the JSON pointer where it was first written, so the caller
says where the document will hold the schema. Fields the server owns stay listed as
`readOnly`, with no type: a client must not send them. OpenAPI 3.0 has no null type, so a
nullable value is `nullable: true` on each typed branch (with null among an enum's values),
and alternatives are `anyOf`: a value is valid when any branch reads it, as the validator
decides.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection
from typing import Any

from marshmallow import Schema, fields, missing

from registry.client.avro.types import FLOAT32_MAX
from registry.client.payload import AvroSchema, build_payload_schema
from registry.client.payload_fields import (
    AvroArray,
    AvroBoolean,
    AvroBytes,
    AvroDate,
    AvroEnum,
    AvroFloat,
    AvroInt,
    AvroMap,
    AvroNull,
    AvroRecord,
    AvroString,
    AvroTimestamp,
    AvroUnion,
    AvroUuid,
    ServerOwned,
)

JsonSchema = dict[str, Any]

# Base64 text, padded, as `base64.b64decode(validate=True)` reads it.
_BASE64_CHAR = "[A-Za-z0-9+/]"
_BASE64 = f"^(?:{_BASE64_CHAR}{{4}})*(?:{_BASE64_CHAR}{{2}}==|{_BASE64_CHAR}{{3}}=)?$"


def _base64_of(size: int) -> str:
    """The pattern of the base64 text of exactly `size` bytes."""
    groups, rest = divmod(size, 3)
    tail = {0: "", 1: f"{_BASE64_CHAR}{{2}}==", 2: f"{_BASE64_CHAR}{{3}}="}[rest]
    return f"^(?:{_BASE64_CHAR}{{4}}){{{groups}}}{tail}$"


def payload_json_schema(
    avro_schema: AvroSchema,
    *,
    pointer: str,
    server_owned: Collection[str] = (),
    optional: Collection[str] = (),
) -> JsonSchema:
    """The JSON Schema of the payloads `registry.client.payload.to_datum` accepts for
    `avro_schema` (same `server_owned` and `optional`); `pointer` is where the caller puts
    it (`#/components/schemas/film_rating`), for recursive types."""
    schema = build_payload_schema(avro_schema, server_owned=server_owned, optional=optional)
    return _Writer().record(schema(), pointer)


class _Writer:
    def __init__(self) -> None:
        self.written: dict[type[Schema], str] = {}

    def record(self, schema: Schema, pointer: str) -> JsonSchema:
        if type(schema) in self.written:
            return {"$ref": self.written[type(schema)]}
        self.written[type(schema)] = pointer
        properties = {
            name: self.field(field, f"{pointer}/properties/{_escaped(name)}")
            for name, field in schema.fields.items()
        }
        written: JsonSchema = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        required = [name for name, field in schema.fields.items() if field.required]
        if required:
            written["required"] = required
        return written

    def field(self, field: fields.Field[Any], pointer: str) -> JsonSchema:
        writer = WRITERS[type(field)]
        written = writer(self, field, pointer)
        description = field.metadata.get("description")
        if description:
            written = {**written, "description": description}
        if field.load_default is not missing:
            written["default"] = _json_default(field)
        if field.allow_none and not isinstance(field, ServerOwned):
            written = _nullable(written)
        return written


def _escaped(name: str) -> str:
    """A name as one JSON pointer token (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


def _json_default(field: fields.Field[Any]) -> Any:
    value = field.load_default() if callable(field.load_default) else field.load_default
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _nullable(schema: JsonSchema) -> JsonSchema:
    """`schema` or null, in OpenAPI 3.0 (where `nullable` works beside `type` only)."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            rest = {k: v for k, v in schema.items() if k != key}
            return {**rest, "anyOf": [_nullable(branch) for branch in schema[key]]}
    written = {**schema, "nullable": True}
    if "enum" in written and None not in written["enum"]:
        written["enum"] = [*written["enum"], None]
    return written


Writer = Callable[[_Writer, Any, str], JsonSchema]


def _string(writer: _Writer, field: AvroString, pointer: str) -> JsonSchema:
    return {"type": "string"}


def _uuid(writer: _Writer, field: AvroUuid, pointer: str) -> JsonSchema:
    return {"type": "string", "format": "uuid"}


def _enum(writer: _Writer, field: AvroEnum, pointer: str) -> JsonSchema:
    return {"type": "string", "enum": list(field.symbols)}


def _integer(writer: _Writer, field: AvroInt, pointer: str) -> JsonSchema:
    return {
        "type": "integer",
        "format": f"int{field.bits}",
        "minimum": field.low,
        "maximum": field.high,
    }


def _number(writer: _Writer, field: AvroFloat, pointer: str) -> JsonSchema:
    if field.single:
        return {
            "type": "number",
            "format": "float",
            "minimum": -FLOAT32_MAX,
            "maximum": FLOAT32_MAX,
        }
    return {"type": "number", "format": "double"}


def _boolean(writer: _Writer, field: AvroBoolean, pointer: str) -> JsonSchema:
    return {"type": "boolean"}


def _bytes(writer: _Writer, field: AvroBytes, pointer: str) -> JsonSchema:
    if field.size is None:
        return {"type": "string", "format": "byte", "pattern": _BASE64}
    return {
        "type": "string",
        "format": "byte",
        "pattern": _base64_of(field.size),
        "description": f"base64 of exactly {field.size} bytes",
    }


def _timestamp(writer: _Writer, field: AvroTimestamp, pointer: str) -> JsonSchema:
    return {
        "anyOf": [
            {
                "type": "string",
                "format": "date-time",
                "description": "RFC 3339 date-time with an offset (Z or ±hh:mm); no leap second",
            },
            {
                "type": "integer",
                "format": "int64",
                "minimum": field.earliest,
                "maximum": field.latest,
                "description": f"{field.unit} since 1970-01-01T00:00:00Z",
            },
        ]
    }


def _date(writer: _Writer, field: AvroDate, pointer: str) -> JsonSchema:
    return {
        "anyOf": [
            {"type": "string", "format": "date", "description": "RFC 3339 full-date"},
            {
                "type": "integer",
                "format": "int32",
                "minimum": field.earliest,
                "maximum": field.latest,
                "description": "days since 1970-01-01",
            },
        ]
    }


def _null(writer: _Writer, field: AvroNull, pointer: str) -> JsonSchema:
    return {"enum": [None]}


def _record(writer: _Writer, field: AvroRecord, pointer: str) -> JsonSchema:
    nested = field.schema
    return writer.record(nested, pointer)


def _array(writer: _Writer, field: AvroArray, pointer: str) -> JsonSchema:
    return {"type": "array", "items": writer.field(field.inner, f"{pointer}/items")}


def _map(writer: _Writer, field: AvroMap, pointer: str) -> JsonSchema:
    assert field.value_field is not None
    values = writer.field(field.value_field, f"{pointer}/additionalProperties")
    return {"type": "object", "additionalProperties": values}


def _union(writer: _Writer, field: AvroUnion, pointer: str) -> JsonSchema:
    branches = [
        writer.field(branch, f"{pointer}/anyOf/{index}")
        for index, (_, branch) in enumerate(field.branches)
    ]
    return {"anyOf": branches}


def _server_owned(writer: _Writer, field: ServerOwned, pointer: str) -> JsonSchema:
    return {"readOnly": True}


WRITERS: dict[type[fields.Field[Any]], Writer] = {
    AvroString: _string,
    AvroUuid: _uuid,
    AvroEnum: _enum,
    AvroInt: _integer,
    AvroFloat: _number,
    AvroBoolean: _boolean,
    AvroBytes: _bytes,
    AvroTimestamp: _timestamp,
    AvroDate: _date,
    AvroNull: _null,
    AvroRecord: _record,
    AvroArray: _array,
    AvroMap: _map,
    AvroUnion: _union,
    ServerOwned: _server_owned,
}
