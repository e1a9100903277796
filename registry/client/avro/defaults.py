"""Which JSON value Avro accepts as a field's default. fastavro.parse_schema checks some
defaults (a string for an int) but not others (the first branch of a union, enum symbols,
array items, integer ranges), and Java clients and the compatibility checker refuse all of
them, so the whole rule lives here: `default_problem` judges a value against a parsed type,
and the leaf rules (`primitive_default_problem`, `enum_default_problem`,
`fixed_default_problem`) say in a few words what is wrong with it.
"""

from __future__ import annotations

from typing import Any

from registry.client.avro.types import (
    Array,
    Enum,
    Fixed,
    Json,
    Map,
    Node,
    Primitive,
    Record,
    Union,
    describe,
    shown,
)

_INT_RANGES = {"int": 2**31, "long": 2**63}


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


def primitive_default_problem(kind: str, value: Any) -> str | None:
    """Why `value` cannot be the default of the primitive type `kind`, or None if it can."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind in _INT_RANGES:
        article = "an" if kind == "int" else "a"
        if not isinstance(value, int) or isinstance(value, bool):
            return f"is not {article} {kind}"
        limit = _INT_RANGES[kind]
        return None if -limit <= value < limit else f"is out of the range of {article} {kind}"
    checks = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "float": is_number,
        "double": is_number,
        "string": isinstance(value, str),
        # Avro writes a bytes default as a string of code points 0-255.
        "bytes": isinstance(value, str) and all(ord(char) < 256 for char in value),
    }
    return None if checks[kind] else f"is not a {kind}"


def enum_default_problem(symbols: list[str], value: Any) -> str | None:
    """Why `value` cannot be the default of an enum of `symbols`, or None if it can."""
    return None if value in symbols else f"is not one of the symbols {', '.join(symbols)}"


def fixed_default_problem(size: Any, value: Any) -> str | None:
    """Why `value` cannot be the default of a fixed of `size` bytes, or None if it can."""
    ok = isinstance(value, str) and len(value) == size
    return None if ok else f"is not a string of {size} characters"
