"""JSON payloads as Avro datums: this module owns the mapping from the JSON an HTTP client
sends to the Python values fastavro writes for a self-contained Avro record schema. It
builds one marshmallow schema per Avro schema (cached by its canonical JSON text), so the
same classes can later feed apispec's MarshmallowPlugin for the OpenAPI document, and it
reports every problem in a payload at once as `{"path", "message"}` pairs with dotted paths
(`context.user_agent`, `items.3.name`; the empty path is the payload itself).

The JSON form: uuids are RFC 4122 hyphenated strings in either case (normalised to lower
case); timestamps are RFC 3339 date-times, which carry an offset (a naive time is refused
rather than guessed, a leap second too), or integers in the field's own unit (epoch
milliseconds for timestamp-millis) within years 1-9999; dates are RFC 3339 full-dates or days
since the epoch; enums are symbol strings; bytes and fixed are base64; optional fields are
plain values or null, never Avro's `{"string": "x"}` union encoding. Numbers, strings and
booleans are strict: `"1"` is not an int and `1` is not a boolean; a string holding a lone
UTF-16 surrogate (`"\ud800"`) is not text. `registry.client.payload_schema` writes the same
form as JSON Schema, for the OpenAPI document.
The marshmallow field per Avro type lives in `registry.client.payload_fields`.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Collection, Mapping
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields

from registry.client.avro.names import json_type
from registry.client.avro.parse import record_tree
from registry.client.avro.types import (
    Array,
    Enum,
    Field,
    Fixed,
    Map,
    Named,
    Node,
    Primitive,
    Record,
    Union,
    Visitor,
    describe,
)
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


# Building: one visit of the type tree. A type's marshmallow field depends on where it is
# used (required, default, doc), so the visitor gives a factory taking those options.
Make = Callable[[dict[str, Any]], fields.Field[Any]]


def _default_factory(default: Any) -> Any:
    # A list or dict default must be copied per load, or one payload's datum could be
    # mutated through another's.
    if isinstance(default, list | dict):
        return functools.partial(copy.deepcopy, default)
    return default


class _Builder(Visitor[Make]):
    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, type[Schema]] = {}

    def recursive(self, node: Record | Enum | Fixed) -> Make:
        # A record still being built is looked up when first loaded.
        records, name = self.records, node.fullname
        return lambda options: AvroRecord(lambda: records[name], **options)

    def record(self, node: Record) -> Make:
        schema = self.record_schema(node, (), ())
        return lambda options: AvroRecord(schema, **options)

    def record_schema(
        self, node: Record, server_owned: Collection[str], optional: Collection[str]
    ) -> type[Schema]:
        declared: dict[str, fields.Field[Any]] = {}
        for field in node.fields:
            if field.name in server_owned:
                declared[field.name] = ServerOwned(metadata=_doc(field))
                continue
            declared[field.name] = self.field(field)
            if field.name in optional:
                declared[field.name].required = False
        schema = _RecordSchema.from_dict(declared, name=node.fullname)
        self.records[node.fullname] = schema
        return schema

    def field(self, field: Field) -> fields.Field[Any]:
        """The marshmallow field for one record field: required unless it has a default."""
        options: dict[str, Any] = {"metadata": _doc(field), "error_messages": _FIELD_MESSAGES}
        if field.has_default:
            options["load_default"] = _default_factory(field.default)
        else:
            options["required"] = True
        return self.visit(field.type)(options)

    def primitive(self, node: Primitive) -> Make:
        return lambda options: _logical(node, options)

    def enum(self, node: Enum) -> Make:
        return lambda options: AvroEnum(list(node.symbols), **options)

    def fixed(self, node: Fixed) -> Make:
        return lambda options: AvroBytes(size=node.size, **_bytes_default(options))

    def array(self, node: Array) -> Make:
        items = self.visit(node.items)
        return lambda options: AvroArray(items({}), **options)

    def map(self, node: Map) -> Make:
        values = self.visit(node.values)
        return lambda options: AvroMap(keys=AvroString(), values=values({}), **options)

    def union(self, node: Union) -> Make:
        others = node.non_null
        nullable = len(others) < len(node.branches)
        if len(others) == 1:
            inner = self.visit(others[0])
            return lambda options: inner({**options, "allow_none": nullable})
        built = [(_type_label(b), self.visit(b)) for b in others]
        return lambda options: AvroUnion(
            [(label, make({})) for label, make in built], **{**options, "allow_none": nullable}
        )


def _doc(field: Field) -> dict[str, Any]:
    return {"description": field.doc} if field.doc is not None else {}


def _type_label(node: Node) -> str:
    if isinstance(node, Primitive):
        return node.logical or node.type
    return node.name if isinstance(node, Named) else describe(node)


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


def _logical(node: Primitive, options: dict[str, Any]) -> fields.Field[Any]:
    """A primitive, with its logical type; a logical type we do not know reads as its base."""
    kind, logical = node.type, node.logical
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
    root = record_tree(text)
    strangers = sorted((server_owned | optional) - {field.name for field in root.fields})
    if strangers:
        raise ValueError(f"the record has no field named {', '.join(strangers)}")
    return _Builder().record_schema(root, server_owned, optional)


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
