"""The self-contained schema JSON fastavro reads, written from a parsed type tree: full
names everywhere, each named type defined at its first use and named afterwards, every
reference (a Confluent schema reference, a type from a sibling contract file) inlined.
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
    """A self-contained schema for `fastavro.parse_schema`."""
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
        if f.has_default:
            out["default"] = f.default
        if f.aliases:
            out["aliases"] = f.aliases
        return out


def _named(node: Named, kind: str) -> dict[str, Json]:
    out: dict[str, Json] = {**node.props, "name": node.fullname}
    if node.space is None:
        out["namespace"] = ""  # otherwise fastavro would file it under the enclosing namespace
    if node.aliases:
        out["aliases"] = node.aliases
    out["type"] = kind
    return out
