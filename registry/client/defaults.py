"""Which JSON value Avro accepts as a field's default. fastavro.parse_schema checks some
defaults (a string for an int) but not others (the first branch of a union, enum symbols,
array items, integer ranges), and Java clients and the compatibility checker refuse all of
them, so the whole rule lives here. `default_problem` walks schema JSON, as the contracts
hold it; the leaf rules (`primitive_default_problem`, `enum_default_problem`,
`fixed_default_problem`) are also what `registry.client.avro.types` applies to its parsed
type tree, so the contracts and the registry cannot disagree about a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.client.avro.defaults import (
    enum_default_problem,
    fixed_default_problem,
    primitive_default_problem,
)
from registry.client.avro.names import PRIMITIVES, full_name, json_type


def default_problem(
    avro: Any, value: Any, named: Mapping[str, Any], namespace: str = ""
) -> str | None:
    """Why `value` cannot be the default of a field of type `avro`, or None if it can.

    `named` holds the definitions of the named types `avro` may refer to, by full name;
    a reference to a type not in it is not judged (an unknown type is reported on its own).
    """
    if isinstance(avro, list):
        return _union_default_problem(avro, value, named, namespace)
    if isinstance(avro, str):
        if avro in PRIMITIVES:
            return primitive_default_problem(avro, value)
        definition = named.get(full_name(avro, None, namespace), named.get(avro))
        # An unknown type is reported on its own.
        return None if definition is None else default_problem(definition, value, named)
    if isinstance(avro, dict):
        return _complex_default_problem(avro, value, named, namespace)
    return None


def _union_default_problem(
    branches: list[Any], value: Any, named: Mapping[str, Any], namespace: str
) -> str | None:
    if not branches:
        return "is not allowed: the union is empty"
    if default_problem(branches[0], value, named, namespace) is None:
        return None
    first = _label(branches[0])
    return f"does not match the union's first branch {first!r} (Avro requires it to)"


def _complex_default_problem(
    avro: dict[str, Any], value: Any, named: Mapping[str, Any], namespace: str
) -> str | None:
    kind = avro.get("type")
    if kind == "enum":
        return enum_default_problem(avro.get("symbols", []), value)
    if kind == "fixed":
        return fixed_default_problem(avro.get("size"), value)
    if kind in ("array", "map"):
        return _container_default_problem(avro, value, named, namespace)
    if kind in ("record", "error"):
        return _record_default_problem(avro, value, named)
    return default_problem(kind, value, named, namespace)


def _container_default_problem(
    avro: dict[str, Any], value: Any, named: Mapping[str, Any], namespace: str
) -> str | None:
    if avro["type"] == "array":
        if not isinstance(value, list):
            return f"is not an array, it is {json_type(value)}"
        kind, members, noun = avro.get("items"), value, "an item"
    else:
        if not isinstance(value, dict):
            return f"is not an object, it is {json_type(value)}"
        kind, members, noun = avro.get("values"), list(value.values()), "a value"
    problems = (default_problem(kind, member, named, namespace) for member in members)
    return next((f"has {noun} that {problem}" for problem in problems if problem), None)


def _record_default_problem(
    avro: dict[str, Any], value: Any, named: Mapping[str, Any]
) -> str | None:
    if not isinstance(value, dict):
        return f"is not an object, it is {json_type(value)}"
    namespace = full_name(str(avro.get("name")), avro.get("namespace"), "").rpartition(".")[0]
    for spec in avro.get("fields", []):
        name = spec.get("name")
        if name in value:
            problem = default_problem(spec.get("type"), value[name], named, namespace)
            if problem:
                return f"has field {name!r} that {problem}"
        elif "default" not in spec:
            return f"lacks field {name!r}, which has no default of its own"
    return None


def _label(avro: Any) -> str:
    if isinstance(avro, dict):
        return str(avro.get("name") or avro.get("logicalType") or avro.get("type"))
    return str(avro)
