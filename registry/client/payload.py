"""JSON payloads as Avro datums: this module owns the mapping from the JSON an HTTP client
sends to the Python values fastavro writes for a self-contained Avro record schema. It
builds one marshmallow schema per Avro schema (cached by its canonical JSON text), so the
same classes can later feed apispec's MarshmallowPlugin for the OpenAPI document, and it
reports every problem in a payload at once as `{"path", "message"}` pairs with dotted paths
(`context.user_agent`, `items.3.name`; the empty path is the payload itself).

The JSON form: uuids are strings (normalised to lower-case hyphenated form); timestamps are
ISO-8601 strings that carry a timezone (a naive time is refused rather than guessed) or
integers in the field's own unit (epoch milliseconds for timestamp-millis); dates are
ISO-8601 dates or days since the epoch; enums are symbol strings; bytes and fixed are base64;
optional fields are plain values or null, never Avro's `{"string": "x"}` union encoding.
Numbers, strings and booleans are strict: `"1"` is not an int and `1` is not a boolean.
The marshmallow field per Avro type lives in `registry.client.payload_fields`.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Collection, Mapping
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields

from registry.client.avro.names import PRIMITIVES, full_name, json_type
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
    parse_timestamp,
)

# Includes the names that moved to `avro_names` and `payload_fields`: still importable here.
__all__ = [
    "PRIMITIVES",
    "AvroArray",
    "AvroBoolean",
    "AvroBytes",
    "AvroDate",
    "AvroEnum",
    "AvroFloat",
    "AvroInt",
    "AvroMap",
    "AvroNull",
    "AvroRecord",
    "AvroSchema",
    "AvroString",
    "AvroTimestamp",
    "AvroUnion",
    "AvroUuid",
    "ErrorItem",
    "PayloadError",
    "ServerOwned",
    "build_payload_schema",
    "canonical_text",
    "flatten_errors",
    "full_name",
    "json_type",
    "parse_timestamp",
    "to_datum",
]

AvroSchema = Mapping[str, Any] | str
ErrorItem = dict[str, str]

_FIELD_MESSAGES = {"required": "required field is missing", "null": "may not be null"}


class PayloadError(Exception):
    """A payload that does not fit its schema; `errors` lists every problem found."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['path'] or '(payload)'}: {e['message']}" for e in errors))


class _RecordSchema(Schema):
    """Base of every generated record schema; unknown keys are refused (marshmallow's
    default RAISE) with a message in the same voice as the field errors."""

    error_messages = {"unknown": "unknown field"}  # noqa: RUF012 - marshmallow's own contract


# Building: one pass over the Avro schema, depth first, in the order Avro parsers read it,
# so a named type is defined at its first use and later uses find it by name.


def _default_factory(default: Any) -> Any:
    # A list or dict default must be copied per load, or one payload's datum could be
    # mutated through another's.
    if isinstance(default, list | dict):
        return functools.partial(copy.deepcopy, default)
    return default


class _Builder:
    def __init__(self) -> None:
        self.named: dict[str, Mapping[str, Any]] = {}
        self.records: dict[str, type[Schema]] = {}

    def record(
        self,
        avro: Mapping[str, Any],
        enclosing: str,
        server_owned: Collection[str] = (),
        optional: Collection[str] = (),
    ) -> type[Schema]:
        name = full_name(avro["name"], avro.get("namespace"), enclosing)
        self.named[name] = avro
        namespace = name.rpartition(".")[0]
        declared: dict[str, fields.Field[Any]] = {}
        for spec in avro["fields"]:
            if spec["name"] in server_owned:
                declared[spec["name"]] = ServerOwned(metadata=_doc(spec))
                continue
            declared[spec["name"]] = self.field(spec, namespace)
            if spec["name"] in optional:
                declared[spec["name"]].required = False
        schema = _RecordSchema.from_dict(declared, name=name)
        self.records[name] = schema
        return schema

    def field(self, spec: Mapping[str, Any], namespace: str) -> fields.Field[Any]:
        """The marshmallow field for one record field: required unless it has a default."""
        options: dict[str, Any] = {"metadata": _doc(spec), "error_messages": _FIELD_MESSAGES}
        if "default" not in spec:
            options["required"] = True
        else:
            options["load_default"] = _default_factory(spec["default"])
        return self.of(spec["type"], namespace, options)

    def of(self, avro: Any, namespace: str, options: dict[str, Any]) -> fields.Field[Any]:
        if isinstance(avro, list):
            return self.union(avro, namespace, options)
        if isinstance(avro, str):
            if avro in PRIMITIVES:
                return _primitive(avro, options)
            return self.named_field(full_name(avro, None, namespace), options)
        return self.complex(avro, namespace, options)

    def complex(
        self, avro: Mapping[str, Any], namespace: str, options: dict[str, Any]
    ) -> fields.Field[Any]:
        kind = avro["type"]
        if kind in ("record", "error"):
            return AvroRecord(self.record(avro, namespace), **options)
        if kind in ("enum", "fixed"):
            self.named[full_name(avro["name"], avro.get("namespace"), namespace)] = avro
            return _enum_or_fixed(avro, options)
        if kind == "array":
            return AvroArray(self.of(avro["items"], namespace, {}), **options)
        if kind == "map":
            values = self.of(avro["values"], namespace, {})
            return AvroMap(keys=AvroString(), values=values, **options)
        if isinstance(kind, str) and kind in PRIMITIVES:
            return _logical(avro, options)
        return self.of(kind, namespace, options)

    def named_field(self, name: str, options: dict[str, Any]) -> fields.Field[Any]:
        if name not in self.named:
            raise ValueError(f"unknown type {name!r}: the schema must be self-contained")
        definition = self.named[name]
        if definition["type"] in ("enum", "fixed"):
            return _enum_or_fixed(definition, options)
        # A record still being built (a recursive type) is looked up when first loaded.
        records = self.records
        return AvroRecord(lambda: records[name], **options)

    def union(
        self, branches: list[Any], namespace: str, options: dict[str, Any]
    ) -> fields.Field[Any]:
        options = {**options, "allow_none": "null" in branches}
        others = [branch for branch in branches if branch != "null"]
        if len(others) == 1:
            return self.of(others[0], namespace, options)
        built = [(_type_label(b), self.of(b, namespace, {})) for b in others]
        return AvroUnion(built, **options)


def _doc(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"description": spec["doc"]} if "doc" in spec else {}


def _type_label(avro: Any) -> str:
    if isinstance(avro, str):
        return avro
    if isinstance(avro, Mapping):
        return str(avro.get("name") or avro.get("logicalType") or avro["type"])
    return "union"


def _primitive(kind: str, options: dict[str, Any]) -> fields.Field[Any]:
    if kind in ("int", "long"):
        return AvroInt(32 if kind == "int" else 64, **options)
    if kind in ("float", "double"):
        return AvroFloat(kind == "float", **options)
    if kind == "bytes":
        return AvroBytes(**_bytes_default(options))
    if kind == "boolean":
        return AvroBoolean(**options)
    if kind == "null":
        return AvroNull(**{**options, "allow_none": True})
    return AvroString(**options)


def _bytes_default(options: dict[str, Any]) -> dict[str, Any]:
    # Avro writes a bytes default as a string of code points 0-255, not as base64.
    default = options.get("load_default")
    if isinstance(default, str):
        return {**options, "load_default": default.encode("latin-1")}
    return options


def _enum_or_fixed(avro: Mapping[str, Any], options: dict[str, Any]) -> fields.Field[Any]:
    if avro["type"] == "enum":
        return AvroEnum(list(avro["symbols"]), **options)
    return AvroBytes(size=int(avro["size"]), **_bytes_default(options))


def _logical(avro: Mapping[str, Any], options: dict[str, Any]) -> fields.Field[Any]:
    """A primitive with a logical type; a logical type we do not know reads as its base."""
    kind, logical = avro["type"], avro.get("logicalType")
    if kind == "string" and logical == "uuid":
        return AvroUuid(
            **{**options, "metadata": {**options.get("metadata", {}), "format": "uuid"}}
        )
    if kind == "long" and logical in ("timestamp-millis", "timestamp-micros"):
        return AvroTimestamp(1000 if logical == "timestamp-millis" else 1_000_000, **options)
    if kind == "int" and logical == "date":
        return AvroDate(**options)
    return _primitive(kind, options)


@functools.lru_cache(maxsize=512)
def _schema_for(text: str, server_owned: frozenset[str], optional: frozenset[str]) -> type[Schema]:
    avro = json.loads(text)
    if not isinstance(avro, Mapping) or avro.get("type") not in ("record", "error"):
        raise ValueError("a payload schema must be an Avro record")
    names = {spec["name"] for spec in avro["fields"]}
    strangers = sorted((server_owned | optional) - names)
    if strangers:
        raise ValueError(f"the record has no field named {', '.join(strangers)}")
    return _Builder().record(avro, "", server_owned, optional)


@functools.lru_cache(maxsize=512)
def _loader_for(text: str, server_owned: frozenset[str], optional: frozenset[str]) -> Schema:
    # marshmallow schemas hold no per-load state, so one instance serves every request.
    return _schema_for(text, server_owned, optional)()


def canonical_text(avro_schema: AvroSchema) -> str:
    """Key-sorted compact JSON: one text per schema, whatever its formatting."""
    parsed = json.loads(avro_schema) if isinstance(avro_schema, str) else avro_schema
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"))


def build_payload_schema(
    avro_schema: AvroSchema,
    *,
    server_owned: Collection[str] = (),
    optional: Collection[str] = (),
) -> type[Schema]:
    """The marshmallow schema that reads a JSON payload for the Avro record `avro_schema`.

    Top-level fields named in `server_owned` are refused when sent (the server fills them);
    those in `optional` may be omitted even if the schema requires them (the caller fills
    them in before writing). Raises ValueError if the schema is not a self-contained record.
    """
    key = canonical_text(avro_schema)
    return _schema_for(key, frozenset(server_owned), frozenset(optional))


def to_datum(
    avro_schema: AvroSchema,
    payload: object,
    *,
    server_owned: Collection[str] = (),
    optional: Collection[str] = (),
) -> dict[str, Any]:
    """The datum fastavro writes for `payload`, or PayloadError listing every problem."""
    loader = _loader_for(canonical_text(avro_schema), frozenset(server_owned), frozenset(optional))
    if not isinstance(payload, Mapping):
        raise PayloadError([{"path": "", "message": f"expected object, got {json_type(payload)}"}])
    try:
        return cast(dict[str, Any], loader.load(payload))
    except ValidationError as exc:
        raise PayloadError(flatten_errors(exc.messages)) from None


def flatten_errors(messages: object, path: tuple[str, ...] = ()) -> list[ErrorItem]:
    """marshmallow's nested error dict as a flat list of dotted paths and messages."""
    if isinstance(messages, Mapping):
        found: list[ErrorItem] = []
        for key, value in messages.items():
            # `_schema` carries errors about the record itself, not a field of it.
            inner = path if key == "_schema" else (*path, str(key))
            found.extend(flatten_errors(value, inner))
        return found
    if isinstance(messages, list):
        return [item for message in messages for item in flatten_errors(message, path)]
    return [{"path": ".".join(path), "message": str(messages)}]
