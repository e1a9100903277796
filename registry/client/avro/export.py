"""The self-contained schema JSON of a parsed type tree, as fastavro reads it and the
contracts register it: each named type defined at its first use with its namespace written
out (so moving it into a record of another namespace cannot change its full name) and
referred to by full name afterwards, every reference (a Confluent schema reference, a type
from a sibling contract file) inlined, docs, defaults, orders, aliases and custom
properties kept.
"""

from __future__ import annotations

from registry.client.avro.types import (
    Array,
    Enum,
    Field,
    Json,
    Map,
    Node,
    Primitive,
    Record,
    Union,
)


def fastavro_schema(node: Node, seen: set[str] | None = None) -> Json:
    """A self-contained schema for `fastavro.parse_schema` (or for registering)."""
    seen = set() if seen is None else seen
    if isinstance(node, Primitive):
        return {"type": node.type, **node.props} if node.props else node.type
    if isinstance(node, Array):
        return {"type": "array", "items": fastavro_schema(node.items, seen), **node.props}
    if isinstance(node, Map):
        return {"type": "map", "values": fastavro_schema(node.values, seen), **node.props}
    if isinstance(node, Union):
        return [fastavro_schema(branch, seen) for branch in node.branches]
    if node.fullname in seen:
        return node.fullname
    seen.add(node.fullname)
    # An empty namespace too, or fastavro would file it under the enclosing one.
    out: dict[str, Json] = {**node.props, "name": node.name, "namespace": node.space or ""}
    out |= {"doc": node.doc} if node.doc is not None else {}
    out |= {"aliases": node.aliases} if node.aliases else {}
    if isinstance(node, Record):
        out["type"] = "error" if node.is_error else "record"
        out["fields"] = [_field(f, seen) for f in node.fields]
    elif isinstance(node, Enum):
        out |= {"type": "enum", "symbols": node.symbols}
        out |= {"default": node.default} if node.default is not None else {}
    else:
        out |= {"type": "fixed", "size": node.size}
    return out


def _field(f: Field, seen: set[str]) -> Json:
    out: dict[str, Json] = {**f.props, "name": f.name, "type": fastavro_schema(f.type, seen)}
    out |= {"doc": f.doc} if f.doc is not None else {}
    out |= {"default": f.default} if f.has_default else {}
    out |= {"order": f.order} if f.order != "ascending" else {}
    out |= {"aliases": f.aliases} if f.aliases else {}
    return out
