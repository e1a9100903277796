"""The evolution decision, a pure function: extend the current table, or open `_v<N+1>`.

`plan(event_type, current, writer)` compares the columns a writer schema fills (from
`etl.mapping`) with the newest versioned table of its event type, read back from ClickHouse
as `TableState`, and answers with a `Plan`:

- no table yet: create `<event_type>_v1`;
- the table can absorb the writer: use it, after `ALTER`s when needed (`AddColumn` for a
  new field with an Avro default, `ModifyColumn` to widen: int -> long, float -> double,
  int/long -> double, T -> Nullable(T), an enum with new symbols appended);
- otherwise open `<event_type>_v<N+1>` with the writer's columns; `Plan.reasons` says why.

The table acts as an Avro reader that must read every writer mapped to it, so a writer
cannot be absorbed when it changes a field's type beyond a widening, adds a field without
a default (older writers could not fill it) or leaves out a column that has no default.
A writer's insert lists exactly its own fields; ClickHouse fills the others with DEFAULT.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from etl.mapping import METADATA_COLUMNS, Column, enum_type

_ENUM = re.compile(r"^Enum(8|16)\((.*)\)$")
_ENUM_ITEM = re.compile(r"'((?:[^'\\]|\\.)*)' = (-?\d+)")
# (column type, writer type) -> the type that takes both.
_NUMERIC_WIDENING = {
    ("Int32", "Int64"): "Int64",
    ("Int32", "Float32"): "Float32",
    ("Int32", "Float64"): "Float64",
    ("Int64", "Float32"): "Float64",
    ("Int64", "Float64"): "Float64",
    ("Float32", "Float64"): "Float64",
}
# Writer types a column reads without a change (the insert casts them).
_READS = {
    ("Int64", "Int32"),
    ("Float32", "Int32"),
    ("Float64", "Int32"),
    ("Float64", "Int64"),
    ("Float64", "Float32"),
}


@dataclass(frozen=True)
class ExistingColumn:
    name: str
    type: str
    has_default: bool


@dataclass(frozen=True)
class TableState:
    """A versioned table as ClickHouse describes it (metadata columns included)."""

    name: str
    version: int
    columns: tuple[ExistingColumn, ...]

    def column(self, name: str) -> ExistingColumn | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class AddColumn:
    column: Column


@dataclass(frozen=True)
class ModifyColumn:
    name: str
    type: str


Alter = AddColumn | ModifyColumn


@dataclass(frozen=True)
class Plan:
    table: str
    version: int
    create: tuple[Column, ...] | None = None
    alters: tuple[Alter, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def opens_table(self) -> bool:
        return self.create is not None


def table_name(event_type: str, version: int) -> str:
    return f"{event_type}_v{version}"


def plan(event_type: str, current: TableState | None, writer: Sequence[Column]) -> Plan:
    """How to load a writer whose columns are `writer` (see the module docstring)."""
    if current is None:
        return Plan(table_name(event_type, 1), 1, create=tuple(writer))
    alters: list[Alter] = []
    reasons: list[str] = []
    for column in writer:
        existing = current.column(column.name)
        if existing is None:
            if column.default is None:
                reasons.append(f"new field {column.name!r} has no default")
            else:
                alters.append(AddColumn(column))
            continue
        widened = absorb(existing.type, column.type)
        if widened is None:
            reasons.append(
                f"field {column.name!r}: column {existing.type} cannot take {column.type}"
            )
        elif widened != existing.type:
            alters.append(ModifyColumn(column.name, widened))
    written = {c.name for c in writer}
    for existing in current.columns:
        if existing.name in METADATA_COLUMNS or existing.name in written:
            continue
        if not existing.has_default:
            reasons.append(f"field {existing.name!r} is missing and its column has no default")
    if reasons:
        version = current.version + 1
        return Plan(
            table_name(event_type, version), version, create=tuple(writer), reasons=tuple(reasons)
        )
    return Plan(current.name, current.version, alters=tuple(alters))


def absorb(column: str, writer: str) -> str | None:
    """The column type that takes both `column`'s values and `writer`'s, or None.

    The result is `column` itself when no ALTER is needed."""
    if column == writer or (column, writer) in _READS:
        return column
    if (column, writer) in _NUMERIC_WIDENING:
        return _NUMERIC_WIDENING[(column, writer)]
    for wrapper in ("Nullable", "Array"):
        inner_c, inner_w = _unwrap(column, wrapper), _unwrap(writer, wrapper)
        if inner_c is not None and inner_w is not None:
            inner = absorb(inner_c, inner_w)
            return None if inner is None else f"{wrapper}({inner})"
    nullable_c = _unwrap(column, "Nullable")
    if nullable_c is not None:  # a Nullable column takes a required writer
        inner = absorb(nullable_c, writer)
        return None if inner is None else f"Nullable({inner})"
    nullable_w = _unwrap(writer, "Nullable")
    if nullable_w is not None:  # a required column becomes Nullable
        inner = absorb(column, nullable_w)
        return None if inner is None else f"Nullable({inner})"
    return _absorb_enum(column, writer)


def _unwrap(text: str, wrapper: str) -> str | None:
    prefix = wrapper + "("
    return text[len(prefix) : -1] if text.startswith(prefix) and text.endswith(")") else None


def enum_items(text: str) -> list[tuple[str, int]] | None:
    """The (symbol, value) pairs of an Enum8/Enum16 type, or None for any other type."""
    match = _ENUM.match(text)
    if match is None:
        return None
    return [
        (re.sub(r"\\(.)", r"\1", symbol), int(value))
        for symbol, value in _ENUM_ITEM.findall(match.group(2))
    ]


def _absorb_enum(column: str, writer: str) -> str | None:
    existing, incoming = enum_items(column), enum_items(writer)
    if existing is None or incoming is None:
        return None
    known = {symbol for symbol, _ in existing}
    added = [symbol for symbol, _ in incoming if symbol not in known]
    if not added:
        return column
    symbols = [s for s, _ in existing] + added
    top = max((v for _, v in existing), default=0)
    return enum_type(symbols, [v for _, v in existing] + list(range(top + 1, top + 1 + len(added))))
