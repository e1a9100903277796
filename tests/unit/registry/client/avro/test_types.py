"""The one walk over the typed Avro tree (`registry.client.avro.types.Visitor`)."""

from __future__ import annotations

import json

import pytest

from registry.client.avro.export import fastavro_schema
from registry.client.avro.parse import parse_json
from registry.client.avro.types import (
    Array,
    Enum,
    Node,
    Primitive,
    Record,
    RecursiveTypeError,
    Union,
    Visitor,
)

CONTEXT = {"type": "record", "name": "Context", "fields": [{"name": "ip", "type": "string"}]}
EVENT = {
    "type": "record",
    "name": "Event",
    "namespace": "ugc",
    "fields": [
        {"name": "first", "type": CONTEXT},
        {"name": "second", "type": "Context"},
        {"name": "tags", "type": {"type": "array", "items": ["null", "string"]}},
    ],
}
LINKED = {
    "type": "record",
    "name": "Node",
    "fields": [{"name": "next", "type": ["null", "Node"]}],
}


class _Shape(Visitor[str]):
    """Writes a type as a short string, counting how often each method ran."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def primitive(self, node: Primitive) -> str:
        return node.type

    def array(self, node: Array) -> str:
        return f"[{self.visit(node.items)}]"

    def union(self, node: Union) -> str:
        return "|".join(self.visit(b) for b in node.branches)

    def record(self, node: Record) -> str:
        self.calls.append(node.fullname)
        return "{" + ",".join(f"{f.name}:{self.visit(f.type)}" for f in node.fields) + "}"


def test_each_kind_goes_to_its_method_and_a_named_type_is_built_once() -> None:
    shape = _Shape()
    assert shape.visit(parse_json(EVENT)) == (
        "{first:{ip:string},second:{ip:string},tags:[null|string]}"
    )
    assert shape.calls == ["ugc.Event", "ugc.Context"]


def test_again_answers_a_later_use_of_a_named_type() -> None:
    class ByName(_Shape):
        def again(self, node: Record | Enum, result: str) -> str:  # type: ignore[override]
            return node.fullname

    assert ByName().visit(parse_json(EVENT)).startswith("{first:{ip:string},second:ugc.Context")


def test_a_recursive_type_raises_unless_the_visitor_binds_late() -> None:
    with pytest.raises(RecursiveTypeError, match="Node is defined in terms of itself"):
        _Shape().visit(parse_json(LINKED))

    class Late(_Shape):
        def recursive(self, node: Record) -> str:  # type: ignore[override]
            return f"<{node.fullname}>"

    assert Late().visit(parse_json(LINKED)) == "{next:null|<Node>}"


def test_a_kind_the_visitor_does_not_handle_is_named_in_the_error() -> None:
    node: Node = parse_json({"type": "map", "values": "int"})
    with pytest.raises(TypeError, match="_Shape does not handle map<int>"):
        _Shape().visit(node)


def test_the_fastavro_export_inlines_each_named_type_once() -> None:
    exported = parse_json(EVENT)
    text = json.dumps(fastavro_schema(exported))
    assert text.count('"name": "Context", "namespace": "ugc"') == 1
    assert '"type": "ugc.Context"' in text
