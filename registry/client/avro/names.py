"""The names Avro schema JSON is written in, shared by every reader of that JSON: the
primitive type names, the full name a named type gets from its namespace (Avro's rule,
which the parser applies), and the JSON name of a value's type as error messages show it.
"""

from __future__ import annotations

from collections.abc import Mapping

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def full_name(name: str, namespace: str | None, enclosing: str) -> str:
    """The full name Avro gives `name` declared (or referenced) inside `enclosing`."""
    if "." in name:
        return name
    space = enclosing if namespace is None else namespace
    return f"{space}.{name}" if space else name


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
