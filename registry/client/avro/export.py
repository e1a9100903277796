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
    Fixed,
    Json,
    Map,
    Named,
    Node,
    Primitive,
    Record,
    Union,
    Visitor,
)


def fastavro_schema(node: Node) -> Json:
    """A self-contained schema for `fastavro.parse_schema` (or for registering)."""
    return _Exporter().visit(node)


class _Exporter(Visitor[Json]):
    def again(self, node: Record | Enum | Fixed, result: Json) -> Json:
        return node.fullname

    def recursive(self, node: Record | Enum | Fixed) -> Json:
        return node.fullname

    def primitive(self, node: Primitive) -> Json:
        return {"type": node.type, **node.props} if node.props else node.type

    def array(self, node: Array) -> Json:
        return {"type": "array", "items": self.visit(node.items), **node.props}

    def map(self, node: Map) -> Json:
        return {"type": "map", "values": self.visit(node.values), **node.props}

    def union(self, node: Union) -> Json:
        return [self.visit(branch) for branch in node.branches]

    def record(self, node: Record) -> Json:
        out = _named(node, "error" if node.is_error else "record")
        out["fields"] = [self._field(f) for f in node.fields]
        return out

    def enum(self, node: Enum) -> Json:
        out = _named(node, "enum")
        out["symbols"] = node.symbols
        if node.default is not None:
            out["default"] = node.default
        return out

    def fixed(self, node: Fixed) -> Json:
        out = _named(node, "fixed")
        out["size"] = node.size
        return out

    def _field(self, f: Field) -> Json:
        out: dict[str, Json] = {**f.props, "name": f.name, "type": self.visit(f.type)}
        if f.doc is not None:
            out["doc"] = f.doc
        if f.has_default:
            out["default"] = f.default
        if f.order != "ascending":
            out["order"] = f.order
        if f.aliases:
            out["aliases"] = f.aliases
        return out


def _named(node: Named, kind: str) -> dict[str, Json]:
    # An empty namespace too, or fastavro would file it under the enclosing one.
    out: dict[str, Json] = {**node.props, "name": node.name, "namespace": node.space or ""}
    if node.doc is not None:
        out["doc"] = node.doc
    if node.aliases:
        out["aliases"] = node.aliases
    out["type"] = kind
    return out
