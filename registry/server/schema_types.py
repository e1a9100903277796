"""The parsed Avro type tree and what can be read off it without its text. `parse_schema`
(in `registry.server.schema`) builds the tree: `Primitive`, `Array`, `Map`, `Union` and the
named `Record` (of `Field`s), `Enum` and `Fixed`; a named type used twice is the same
object, so the tree of a recursive schema is a graph. `registry.server.compatibility` walks
it. This module also owns the questions asked of a tree: its short human name
(`describe`), whether a value may be a field's default (`default_problem`, built on the leaf
rules of `registry.client.defaults`, which the contracts apply too), and the self-contained
JSON fastavro reads (`fastavro_schema`).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from registry.client.defaults import (
    enum_default_problem,
    fixed_default_problem,
    primitive_default_problem,
)

Json: TypeAlias = Any


class _NoDefault(enum.Enum):
    TOKEN = 0


NO_DEFAULT = _NoDefault.TOKEN


@dataclass(eq=False)
class Primitive:
    type: str
    props: dict[str, Json] = field(default_factory=dict)


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


def default_problem(node: Node, value: Json) -> str | None:
    """Why `value` is not a valid default for `node`, or None when it is."""
    if isinstance(node, Union):
        if not node.branches:
            return "an empty union cannot have a default"
        problem = default_problem(node.branches[0], value)
        if problem:
            return f"{problem} (a union's default must match its first branch)"
        return None
    if _default_fits(node, value):
        return None
    return f"default {shown(value)} does not match type {describe(node)}"


def _default_fits(node: Node, value: Json) -> bool:
    if isinstance(node, Primitive):
        return primitive_default_problem(node.type, value) is None
    if isinstance(node, Enum):
        return enum_default_problem(node.symbols, value) is None
    if isinstance(node, Fixed):
        return fixed_default_problem(node.size, value) is None
    if isinstance(node, Array | Map):
        items = value if isinstance(node, Array) else value.values()
        shaped = isinstance(value, list if isinstance(node, Array) else dict)
        inner = node.items if isinstance(node, Array) else node.values
        return shaped and all(default_problem(inner, v) is None for v in items)
    if isinstance(node, Record):
        return isinstance(value, dict) and all(
            default_problem(f.type, value[f.name]) is None if f.name in value else f.has_default
            for f in node.fields
        )
    return default_problem(node, value) is None


def fastavro_schema(node: Node) -> Json:
    """A self-contained schema for `fastavro.parse_schema`: full names everywhere, each named
    type defined at its first use."""
    return _expand(node, set())


def _expand(node: Node, seen: set[str]) -> Json:
    if isinstance(node, Primitive):
        return {"type": node.type, **node.props} if node.props else node.type
    if isinstance(node, Array):
        return {"type": "array", "items": _expand(node.items, seen), **node.props}
    if isinstance(node, Map):
        return {"type": "map", "values": _expand(node.values, seen), **node.props}
    if isinstance(node, Union):
        return [_expand(b, seen) for b in node.branches]
    if node.fullname in seen:
        return node.fullname
    seen.add(node.fullname)
    out: dict[str, Json] = {**node.props, "name": node.fullname}
    if node.space is None:
        out["namespace"] = ""  # otherwise fastavro would file it under the enclosing namespace
    if node.aliases:
        out["aliases"] = node.aliases
    if isinstance(node, Record):
        out["type"] = "error" if node.is_error else "record"
        out["fields"] = [_expand_field(f, seen) for f in node.fields]
    elif isinstance(node, Enum):
        out.update(type="enum", symbols=node.symbols)
        if node.default is not None:
            out["default"] = node.default
    else:
        out.update(type="fixed", size=node.size)
    return out


def _expand_field(f: Field, seen: set[str]) -> Json:
    out: dict[str, Json] = {**f.props, "name": f.name, "type": _expand(f.type, seen)}
    if f.has_default:
        out["default"] = f.default
    if f.aliases:
        out["aliases"] = f.aliases
    return out
