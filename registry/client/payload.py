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
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
import math
import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields

__all__ = ["PayloadError", "build_payload_schema", "to_datum"]

AvroSchema = Mapping[str, Any] | str
ErrorItem = dict[str, str]

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)
_FLOAT32_MAX = 3.4028234663852886e38
_FIELD_MESSAGES = {"required": "required field is missing", "null": "may not be null"}


class PayloadError(Exception):
    """A payload that does not fit its schema; `errors` lists every problem found."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['path'] or '(payload)'}: {e['message']}" for e in errors))


def json_type(value: object) -> str:
    """The JSON name of a value's type, as error messages show it to a client."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    names: list[tuple[type | tuple[type, ...], str]] = [
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        ((list, tuple), "array"),
        (Mapping, "object"),
    ]
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return type(value).__name__


# Fields. Each subclasses the marshmallow field apispec knows, so OpenAPI gets the right
# type, and replaces its lenient coercion with the strict JSON reading described above.


class AvroString(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(f"expected string, got {json_type(value)}")
        return value


class AvroUuid(AvroString):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise ValidationError(f"expected a UUID, got {text!r}") from None


class AvroEnum(AvroString):
    def __init__(self, symbols: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.symbols = symbols
        self.metadata = {**self.metadata, "enum": symbols}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in self.symbols:
            raise ValidationError(f"{text!r} is not one of {', '.join(self.symbols)}")
        return text


class AvroInt(fields.Integer):
    def __init__(self, bits: int, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)
        self.bits = bits
        self.metadata = {**self.metadata, "format": f"int{bits}"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"expected integer, got {json_type(value)}")
        low, high = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        if not low <= value <= high:
            raise ValidationError(f"{value} is out of the {self.bits}-bit range {low}..{high}")
        return value


class AvroFloat(fields.Float):
    def __init__(self, single: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.single = single

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"expected number, got {json_type(value)}")
        number = float(value)
        if not math.isfinite(number):
            raise ValidationError("expected a finite number")
        if self.single and abs(number) > _FLOAT32_MAX:
            raise ValidationError(f"{value} is out of the range of a 32-bit float")
        return number


class AvroBoolean(fields.Boolean):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"expected boolean, got {json_type(value)}")
        return value


class AvroBytes(fields.Field[bytes]):
    def __init__(self, size: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size
        self.metadata = {**self.metadata, "type": "string", "format": "byte"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        if not isinstance(value, str):
            raise ValidationError(f"expected base64 string, got {json_type(value)}")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("expected base64 string, got text that is not base64") from None
        if self.size is not None and len(raw) != self.size:
            raise ValidationError(f"expected exactly {self.size} bytes, got {len(raw)}")
        return raw


class AvroTimestamp(fields.DateTime):
    def __init__(self, per_second: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.per_second = per_second
        self.unit = "milliseconds" if per_second == 1000 else "microseconds"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(
                f"expected ISO-8601 string or integer epoch {self.unit}, got {json_type(value)}"
            )
        if isinstance(value, int):
            try:
                return _EPOCH + timedelta(microseconds=value * 1_000_000 // self.per_second)
            except OverflowError:
                raise ValidationError(f"epoch {self.unit} {value} is out of range") from None
        return parse_timestamp(value)


class AvroDate(fields.Date):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return _EPOCH_DATE + timedelta(days=value)
            except OverflowError:
                raise ValidationError(f"{value} days since the epoch is out of range") from None
        if not isinstance(value, str):
            raise ValidationError(f"expected ISO-8601 date string, got {json_type(value)}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                f"expected ISO-8601 date such as 2026-11-27, got {value!r}"
            ) from None


class AvroNull(fields.Field[None]):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> None:
        raise ValidationError(f"expected null, got {json_type(value)}")


class AvroRecord(fields.Nested):
    def _deserialize(
        self, value: Any, attr: str | None, data: Any, partial: Any = None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, Mapping):
            raise ValidationError(f"expected object, got {json_type(value)}")
        return super()._deserialize(value, attr, data, partial=partial, **kwargs)


class AvroArray(fields.List):  # type: ignore[type-arg]
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError(f"expected array, got {json_type(value)}")
        return super()._deserialize(value, attr, data, **kwargs)


class AvroMap(fields.Dict):
    """A map whose errors are keyed by the entry's key alone (`filters.genre`), rather than
    marshmallow's `{"genre": {"value": [...]}}` nesting."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError(f"expected object, got {json_type(value)}")
        assert self.value_field is not None
        result: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for key, item in value.items():
            try:
                result[key] = self.value_field.deserialize(item, **kwargs)
            except ValidationError as exc:
                errors[key] = exc.messages
        if errors:
            raise ValidationError(errors)
        return result


class AvroUnion(fields.Field[Any]):
    """A union of several non-null branches: the first branch that accepts the value wins,
    which matches how fastavro picks the branch when it writes the datum."""

    def __init__(self, branches: list[tuple[str, fields.Field[Any]]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.branches = branches

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        for _, branch in self.branches:
            try:
                return branch.deserialize(value, **kwargs)
            except ValidationError:
                continue
        names = ", ".join(name for name, _ in self.branches)
        raise ValidationError(f"expected one of {names}, got {json_type(value)}")


class ServerOwned(fields.Field[Any]):
    """A field the server fills in: a client that sends it is told so."""

    def __init__(self, **kwargs: Any) -> None:
        message = "is set by the server"
        super().__init__(error_messages={"null": message}, allow_none=False, **kwargs)
        self.metadata = {**self.metadata, "readOnly": True}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        raise ValidationError("is set by the server")


class _RecordSchema(Schema):
    """Base of every generated record schema; unknown keys are refused (marshmallow's
    default RAISE) with a message in the same voice as the field errors."""

    error_messages = {"unknown": "unknown field"}  # noqa: RUF012 - marshmallow's own contract


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 instant. A time without an offset is refused: silently assuming UTC
    would shift a client's local times by hours in every report."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"expected ISO-8601 timestamp such as 2026-11-27T20:15:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError("timestamp has no timezone; add 'Z' or an offset such as +03:00")
    return moment


# Building: one pass over the Avro schema, depth first, in the order Avro parsers read it,
# so a named type is defined at its first use and later uses find it by name.


def full_name(name: str, namespace: str | None, enclosing: str) -> str:
    """The full name Avro gives `name` declared (or referenced) inside `enclosing`."""
    if "." in name:
        return name
    space = enclosing if namespace is None else namespace
    return f"{space}.{name}" if space else name


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
