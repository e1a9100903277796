"""Which JSON value Avro accepts as a field's default. fastavro.parse_schema checks some
defaults (a string for an int) but not others (the first branch of a union, enum symbols,
array items, integer ranges), and Java clients and the compatibility checker refuse all of
them, so the whole rule lives here: `default_problem` says in a few words what is wrong
with a value as the default of a parsed type; the registry's parser and the contracts'
inlining both ask it, so they cannot disagree about a default.
"""

from __future__ import annotations

from typing import Any

from registry.client.avro.names import json_type
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
)

_INT_RANGES = {"int": 2**31, "long": 2**63}


def default_problem(node: Node, value: Json) -> str | None:
    """Why `value` cannot be the default of a field of type `node` ("is not an int", "has an
    item that is not a string"), or None when it can."""
    if isinstance(node, Union):
        return _union_default_problem(node, value)
    if isinstance(node, Primitive):
        return primitive_default_problem(node.type, value)
    if isinstance(node, Enum):
        symbols = ", ".join(node.symbols)
        return None if value in node.symbols else f"is not one of the symbols {symbols}"
    if isinstance(node, Fixed):
        fits = isinstance(value, str) and len(value) == node.size
        return None if fits else f"is not a string of {node.size} characters"
    if isinstance(node, Array | Map):
        return _container_default_problem(node, value)
    return _record_default_problem(node, value)


def _union_default_problem(node: Union, value: Json) -> str | None:
    if not node.branches:
        return "is not allowed: the union is empty"
    if default_problem(node.branches[0], value) is None:
        return None
    first = node.branches[0]
    label = (first.logical or first.type) if isinstance(first, Primitive) else describe(first)
    return f"does not match the union's first branch {label!r} (Avro requires it to)"


def _container_default_problem(node: Array | Map, value: Json) -> str | None:
    if isinstance(node, Array):
        if not isinstance(value, list):
            return f"is not an array, it is {json_type(value)}"
        inner, members, noun = node.items, value, "an item"
    else:
        if not isinstance(value, dict):
            return f"is not an object, it is {json_type(value)}"
        inner, members, noun = node.values, list(value.values()), "a value"
    problems = (default_problem(inner, member) for member in members)
    return next((f"has {noun} that {problem}" for problem in problems if problem), None)


def _record_default_problem(node: Record, value: Json) -> str | None:
    if not isinstance(value, dict):
        return f"is not an object, it is {json_type(value)}"
    for field in node.fields:
        if field.name in value:
            problem = default_problem(field.type, value[field.name])
            if problem:
                return f"has field {field.name!r} that {problem}"
        elif not field.has_default:
            return f"lacks field {field.name!r}, which has no default of its own"
    return None


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
