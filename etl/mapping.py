"""The one Avro → ClickHouse type mapping, as pure functions over the typed Avro tree.

A writer schema (a record) becomes a list of `Column`s, one per field, in field order:

| Avro                                   | ClickHouse                                  |
|----------------------------------------|---------------------------------------------|
| boolean / int / long / float / double  | Bool / Int32 / Int64 / Float32 / Float64    |
| string, bytes / fixed(n)               | String / FixedString(n)                     |
| string + uuid                          | UUID                                        |
| long + timestamp-millis / -micros      | DateTime64(3, 'UTC') / DateTime64(6, 'UTC') |
| int + date                             | Date32                                      |
| bytes or fixed + decimal(p, s)         | Decimal(p, s)                               |
| enum                                   | Enum8 / Enum16, symbols numbered from 1     |
| [null, T] (either order)               | Nullable(T) for a scalar T                  |
| array<T> / map<T>                      | Array(T) / Map(String, T)                   |
| field of [null, array<T>] / [null, map<T>] | Array(T) / Map(String, T); null reads empty |
| record as a field                      | flattened: one column per leaf, `context.app` |
| record inside an array or map          | Tuple(name T, ...)                          |

Nested records are flattened rather than kept as Tuples so that a new field of `context` is
an `ADD COLUMN`, like any other. An Avro default becomes the column's `DEFAULT` expression
(`default_expression`); a flattened leaf takes its own default, else its value in the
enclosing record's default. Types are rendered exactly as ClickHouse's DESCRIBE prints
them (after `normalise_type`), so a table read back compares equal to a plan.
ClickHouse has no Nullable(Array) or Nullable(Map), so a field typed as an optional array or
map is a plain Array or Map whose null reads as empty (ClickHouse's Avro reader does the
same with `input_format_null_as_default`, on by default). Anything else (optional records,
optional containers inside containers, multi-type unions) raises `MappingError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry.client.avro.types import (
    NO_DEFAULT,
    Array,
    Enum,
    Fixed,
    Map,
    Node,
    Primitive,
    Record,
    RecursiveTypeError,
    Union,
    Visitor,
    describe,
)

Json = Any

METADATA_COLUMNS = ("_schema_id", "_topic", "_partition", "_offset", "_loaded_at")
_PRIMITIVE = {
    "boolean": "Bool",
    "int": "Int32",
    "long": "Int64",
    "float": "Float32",
    "double": "Float64",
    "string": "String",
    "bytes": "String",
}
_LOGICAL = {
    ("string", "uuid"): "UUID",
    ("long", "timestamp-millis"): "DateTime64(3, 'UTC')",
    ("long", "timestamp-micros"): "DateTime64(6, 'UTC')",
    ("int", "date"): "Date32",
}
_NULLABLE_INSIDE = re.compile(r"^(Array|Map|Tuple|Nullable)\(")


class MappingError(Exception):
    """The schema has a shape this mapping does not load; the message names the field."""


@dataclass(frozen=True)
class Column:
    """One column a writer's field fills: `name` is a dotted path for nested records;
    `default` is the ClickHouse expression for the Avro default, None when there is none."""

    name: str
    type: str
    default: str | None
    path: tuple[str, ...]


def columns_of(root: Node) -> list[Column]:
    """The columns of a writer schema, which must be a record."""
    if not isinstance(root, Record):
        raise MappingError(f"an event schema must be a record, not {type(root).__name__}")
    columns: list[Column] = []
    _flatten(root, (), NO_DEFAULT, columns)
    for column in columns:
        if column.name in METADATA_COLUMNS:
            raise MappingError(f"field {column.name!r} collides with a load metadata column")
    return columns


def _flatten(record: Record, path: tuple[str, ...], outer: Json, out: list[Column]) -> None:
    for field in record.fields:
        here = (*path, field.name)
        default = field.default
        if default is NO_DEFAULT and isinstance(outer, dict) and field.name in outer:
            default = outer[field.name]
        if isinstance(field.type, Record):
            _flatten(field.type, here, default, out)
            continue
        name = ".".join(here)
        try:
            ch_type = clickhouse_type(_optional_container(field.type) or field.type)
        except MappingError as exc:
            raise MappingError(f"field {name!r}: {exc}") from exc
        expression = None if default is NO_DEFAULT else default_expression(field.type, default)
        out.append(Column(name, ch_type, expression, here))


def _optional_container(node: Node) -> Array | Map | None:
    """The array or map of a field typed [null, array] or [null, map] (its null reads as
    empty); None for any other type. Only a field's own type: not inside a container."""
    if not isinstance(node, Union) or len(node.branches) != 2:
        return None
    others = [b for b in node.branches if not (isinstance(b, Primitive) and b.type == "null")]
    return others[0] if len(others) == 1 and isinstance(others[0], Array | Map) else None


def clickhouse_type(node: Node) -> str:
    """The ClickHouse type for an Avro type; MappingError when it has none."""
    try:
        return _TypeMapper().visit(node)
    except RecursiveTypeError as exc:
        raise MappingError(f"a recursive type has no column: {exc}") from exc


class _TypeMapper(Visitor[str]):
    def primitive(self, node: Primitive) -> str:
        logical = node.logical
        if logical == "decimal" and node.type == "bytes":
            return _decimal(node.props) or "String"
        if logical is not None and (node.type, logical) in _LOGICAL:
            return _LOGICAL[(node.type, logical)]
        if node.type == "null":
            raise MappingError("a null-only type has no column")
        return _PRIMITIVE[node.type]

    def enum(self, node: Enum) -> str:
        return enum_type(node.symbols)

    def fixed(self, node: Fixed) -> str:
        return _decimal(node.props) or f"FixedString({node.size})"

    def array(self, node: Array) -> str:
        return f"Array({self.visit(node.items)})"

    def map(self, node: Map) -> str:
        return f"Map(String, {self.visit(node.values)})"

    def record(self, node: Record) -> str:
        return "Tuple(" + ", ".join(f"{f.name} {self.visit(f.type)}" for f in node.fields) + ")"

    def union(self, node: Union) -> str:
        others = [b for b in node.branches if not (isinstance(b, Primitive) and b.type == "null")]
        if len(others) != 1:
            raise MappingError(f"only [null, T] unions map to a column, not {describe(node)}")
        inner = self.visit(others[0])
        if len(others) == len(node.branches):
            return inner
        if _NULLABLE_INSIDE.match(inner):
            what = "record" if isinstance(others[0], Record) else inner.split("(")[0]
            raise MappingError(f"an optional {what} has no column")
        return f"Nullable({inner})"


def _decimal(props: dict[str, Json]) -> str | None:
    if props.get("logicalType") != "decimal":
        return None
    precision, scale = props.get("precision"), props.get("scale", 0)
    if isinstance(precision, int) and isinstance(scale, int) and 0 < precision <= 76:
        return f"Decimal({precision}, {scale})"
    return None


def enum_type(symbols: list[str], values: list[int] | None = None) -> str:
    """`Enum8('a' = 1, 'b' = 2)`; Enum16 when a value does not fit Enum8."""
    numbers = values if values is not None else list(range(1, len(symbols) + 1))
    width = 8 if all(-128 <= v <= 127 for v in numbers) else 16
    items = ", ".join(f"{quote(s)} = {v}" for s, v in zip(symbols, numbers, strict=True))
    return f"Enum{width}({items})"


def quote(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def normalise_type(text: str) -> str:
    """A type as DESCRIBE prints it, on one line: `Tuple(\\n    a String)` -> `Tuple(a String)`."""
    return re.sub(r"\(\s+", "(", re.sub(r"\s+", " ", text.strip()))


def default_expression(node: Node, value: Json) -> str:
    """The ClickHouse expression for an Avro default `value` of type `node`."""
    render: Any = _DEFAULTS[type(node)]
    rendered: str = render(node, value)
    return rendered


def _union_default(node: Union, value: Json) -> str:
    first = node.branches[0]
    if isinstance(first, Primitive) and first.type == "null":
        others = [b for b in node.branches if b is not first]
        if len(others) == 1 and isinstance(others[0], Array | Map):
            return "[]" if isinstance(others[0], Array) else "map()"
        return "NULL"
    return default_expression(first, value)


def _primitive_default(node: Primitive, value: Json) -> str:
    logical = _LOGICAL_DEFAULTS.get(node.logical or "")
    if logical is not None:
        return logical(value)
    plain = _PLAIN_DEFAULTS.get(node.type)
    if plain is not None:
        return plain(value)
    return quote(value if isinstance(value, str) else json.dumps(value))


def _float_literal(value: Json) -> str:
    number = float(value)
    if math.isnan(number):
        return "nan"
    return ("inf" if number > 0 else "-inf") if math.isinf(number) else repr(number)


_LOGICAL_DEFAULTS: dict[str, Callable[[Json], str]] = {
    "uuid": lambda v: f"toUUID({quote(str(v))})",
    "timestamp-millis": lambda v: f"fromUnixTimestamp64Milli(toInt64({int(v)}), 'UTC')",
    "timestamp-micros": lambda v: f"fromUnixTimestamp64Micro(toInt64({int(v)}), 'UTC')",
    "date": lambda v: f"toDate32('1970-01-01') + {int(v)}",
}
_PLAIN_DEFAULTS: dict[str, Callable[[Json], str]] = {
    "boolean": lambda v: "true" if v else "false",
    "int": lambda v: str(int(v)),
    "long": lambda v: str(int(v)),
    "float": _float_literal,
    "double": _float_literal,
    "null": lambda _v: "NULL",
}
_DEFAULTS: dict[type, Callable[[Any, Json], str]] = {
    Union: _union_default,
    Primitive: _primitive_default,
    Enum: lambda _node, v: quote(str(v)),
    Fixed: lambda _node, v: quote(str(v)),
    Array: lambda node, v: "[" + ", ".join(default_expression(node.items, x) for x in v) + "]",
    Map: lambda node, v: (
        "map("
        + ", ".join(f"{quote(k)}, {default_expression(node.values, x)}" for k, x in v.items())
        + ")"
    ),
    Record: lambda node, v: (
        "tuple("
        + ", ".join(default_expression(f.type, v.get(f.name, f.default)) for f in node.fields)
        + ")"
    ),
}


def clickhouse_cannot_read(root: Node) -> str | None:
    """Why ClickHouse's own Avro reader (avro-cpp) refuses this schema, or None.

    Measured: it rejects a record-typed field whose default omits some of the record's
    fields (`"default": {}` for a record of optional fields): "No value found in default".
    Such schemas load through the Python path instead.
    """
    return _IncompleteDefaults().visit(root)


class _IncompleteDefaults(Visitor[str | None]):
    def primitive(self, node: Primitive) -> str | None:
        return None

    def enum(self, node: Enum) -> str | None:
        return None

    def fixed(self, node: Fixed) -> str | None:
        return None

    def array(self, node: Array) -> str | None:
        return self.visit(node.items)

    def map(self, node: Map) -> str | None:
        return self.visit(node.values)

    def union(self, node: Union) -> str | None:
        return next(filter(None, (self.visit(b) for b in node.branches)), None)

    def recursive(self, node: Record | Enum | Fixed) -> str | None:
        return None

    def record(self, node: Record) -> str | None:
        for field in node.fields:
            target = field.type
            if isinstance(target, Record) and isinstance(field.default, dict):
                missing = [f.name for f in target.fields if f.name not in field.default]
                if missing:
                    return f"the default of field {field.name!r} leaves out {', '.join(missing)}"
            problem = self.visit(target)
            if problem:
                return problem
        return None
