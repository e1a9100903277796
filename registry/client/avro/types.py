"""The parsed Avro type tree, and the one way to walk it. `registry.client.avro.parse`
builds the tree: `Primitive`, `Array`, `Map`, `Union` and the named `Record` (of `Field`s),
`Enum` and `Fixed`; a named type used twice is the same object, so the tree of a recursive
schema is a graph. Every reader of a schema — the registry's compatibility checker and
canonical form, the payload mapping, the Avro encoder, the contracts' diff and inlining, the
API's examples, the ETL's table mapping — walks it with a `Visitor`: one method per kind of
node, each named type visited once (`again` answers a later use, `recursive` a use inside
its own definition). `describe` gives a type's short human name.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeAlias, TypeVar

Json: TypeAlias = Any

# Where Avro's date and timestamp logical types count from, and the largest finite float.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = date(1970, 1, 1)
FLOAT32_MAX = 3.4028234663852886e38


class _NoDefault(enum.Enum):
    TOKEN = 0


NO_DEFAULT = _NoDefault.TOKEN


@dataclass(eq=False)
class Primitive:
    type: str
    props: dict[str, Json] = field(default_factory=dict)

    @property
    def logical(self) -> str | None:
        """The `logicalType`, if any: `uuid`, `timestamp-millis`, `date`, …"""
        logical = self.props.get("logicalType")
        return logical if isinstance(logical, str) else None


@dataclass(eq=False)
class Array:
    items: Node
    props: dict[str, Json] = field(default_factory=dict)


@dataclass(eq=False)
class Map:
    values: Node
    props: dict[str, Json] = field(default_factory=dict)


@dataclass(eq=False)
class Union:
    branches: list[Node]

    @property
    def non_null(self) -> list[Node]:
        """The branches other than `null`: one for an optional field's `[null, T]`."""
        return [b for b in self.branches if not (isinstance(b, Primitive) and b.type == "null")]


@dataclass(eq=False)
class Named:
    """A record, enum or fixed: `fullname` is dotted; `aliases` are full names too."""

    fullname: str
    doc: str | None = None
    aliases: list[str] = field(default_factory=list)
    props: dict[str, Json] = field(default_factory=dict)

    @property
    def space(self) -> str | None:
        return self.fullname.rpartition(".")[0] or None

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]


@dataclass(eq=False)
class Field:
    name: str
    type: Node
    doc: str | None = None
    default: Json = NO_DEFAULT
    order: str = "ascending"
    aliases: list[str] = field(default_factory=list)
    props: dict[str, Json] = field(default_factory=dict)

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


@dataclass(eq=False)
class Record(Named):
    fields: list[Field] = field(default_factory=list)
    is_error: bool = False


@dataclass(eq=False)
class Enum(Named):
    symbols: list[str] = field(default_factory=list)
    default: str | None = None


@dataclass(eq=False)
class Fixed(Named):
    size: int = 0


Node: TypeAlias = Primitive | Array | Map | Union | Record | Enum | Fixed


def shown(value: Json) -> str:
    """A JSON value as an error message quotes it: text in quotes, anything else as JSON."""
    return repr(value) if isinstance(value, str) else json.dumps(value)


def children(node: Node) -> list[Node]:
    """The types directly inside `node`: items, values, branches or field types."""
    if isinstance(node, Array):
        return [node.items]
    if isinstance(node, Map):
        return [node.values]
    if isinstance(node, Union):
        return list(node.branches)
    return [f.type for f in node.fields] if isinstance(node, Record) else []


def named_types(node: Node) -> dict[str, Record | Enum | Fixed]:
    """Every named type in the tree of `node`, by full name, in order of first use."""
    found: dict[str, Record | Enum | Fixed] = {}
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, Named):
            if current.fullname in found:
                continue
            found[current.fullname] = current
        pending.extend(reversed(children(current)))
    return found


def describe(node: Node) -> str:
    """A short human name for a type: `int`, `ugc.Review`, `array<string>`, `union[null, int]`."""
    if isinstance(node, Primitive):
        return node.type
    if isinstance(node, Named):
        return node.fullname
    if isinstance(node, Array):
        return f"array<{describe(node.items)}>"
    if isinstance(node, Map):
        return f"map<{describe(node.values)}>"
    return "union[" + ", ".join(describe(b) for b in node.branches) + "]"


T = TypeVar("T")


class RecursiveTypeError(ValueError):
    """A visitor met a named type inside its own definition and cannot handle that."""


class Visitor(Generic[T]):
    """A fold over a type tree: `visit` calls the method named after the node's kind, which
    a subclass defines for each kind it handles (`primitive`, `array`, `map`, `union`,
    `record`, `enum`, `fixed`, each taking the node); any other kind raises TypeError.

    A named type (record, enum, fixed) is visited once per visitor: a later use anywhere
    returns `again(node, result)` (by default the same result), and a use inside its own
    definition, which only a recursive type has, returns `recursive(node)` (by default a
    `RecursiveTypeError`; `result_of(name)` lets an override bind late).
    """

    def __init__(self) -> None:
        self._done: dict[str, T] = {}
        self._open: set[str] = set()

    def visit(self, node: Node) -> T:
        if not isinstance(node, Named):
            return self._dispatch(node)
        name = node.fullname
        if name in self._done:
            return self.again(node, self._done[name])
        if name in self._open:
            return self.recursive(node)
        self._open.add(name)
        try:
            result = self._dispatch(node)
        finally:
            self._open.discard(name)
        self._done[name] = result
        return result

    def result_of(self, name: str) -> T:
        """What visiting the named type `name` gave; KeyError while it is still open."""
        return self._done[name]

    def _dispatch(self, node: Node) -> T:
        method = getattr(self, _METHODS[type(node)], None)
        if method is None:
            raise TypeError(f"{type(self).__name__} does not handle {describe(node)}")
        result: T = method(node)
        return result

    def again(self, node: Record | Enum | Fixed, result: T) -> T:
        return result

    def recursive(self, node: Record | Enum | Fixed) -> T:
        raise RecursiveTypeError(f"{node.fullname} is defined in terms of itself")


_METHODS: dict[type, str] = {
    Primitive: "primitive",
    Array: "array",
    Map: "map",
    Union: "union",
    Record: "record",
    Enum: "enum",
    Fixed: "fixed",
}
