"""Compatibility verdicts: levels, messages, and a property test against real Avro resolution.

The property test generates a writer record and a mutated reader record, asks the checker,
and then resolves real data with fastavro (writer schema → reader schema): a "compatible"
verdict means every witness datum reads; "incompatible" means at least one witness fails.
It also holds the verdict equal to Apache Avro's own `avro.compatibility` checker.
"""

from __future__ import annotations

import io
import json
from typing import Any

import avro.schema
import fastavro
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.client.avro.parse import ParsedSchema, parse_schema
from registry.client.models import CompatibilityLevel
from registry.server.compatibility import check_compatibility, reader_writer_problems

Level = CompatibilityLevel


def record(*fields: dict[str, Any], name: str = "Review") -> ParsedSchema:
    return parse_schema(
        json.dumps({"type": "record", "name": name, "namespace": "ugc", "fields": list(fields)})
    )


A_INT = {"name": "a", "type": "int"}
B_STRING = {"name": "b", "type": "string"}
B_DEFAULT = {"name": "b", "type": "string", "default": ""}


def test_level_none_accepts_anything() -> None:
    assert check_compatibility(Level.NONE, record(B_STRING), [record(A_INT)]) == []


def test_no_existing_versions_is_compatible() -> None:
    assert check_compatibility(Level.FULL_TRANSITIVE, record(A_INT), []) == []


def test_backward_names_the_field_the_rule_and_the_version() -> None:
    messages = check_compatibility(Level.BACKWARD, record(A_INT, B_STRING), [(3, record(A_INT))])
    assert messages == [
        "new schema cannot read data written with version 3: field 'b': is in the reader but "
        "not in the writer, and has no default (READER_FIELD_MISSING_DEFAULT_VALUE)"
    ]


@pytest.mark.parametrize(
    ("level", "compatible"),
    [
        (Level.BACKWARD, True),
        (Level.FORWARD, False),
        (Level.FULL, False),
    ],
)
def test_removing_a_field_without_default_breaks_forward_only(
    level: Level, compatible: bool
) -> None:
    messages = check_compatibility(level, record(A_INT), [record(A_INT, B_STRING)])
    assert (messages == []) is compatible
    assert all(
        "the latest version cannot read data written with the new schema" in m for m in messages
    )


def test_adding_a_field_with_default_is_fully_compatible() -> None:
    assert check_compatibility(Level.FULL, record(A_INT, B_DEFAULT), [record(A_INT)]) == []


def test_transitive_levels_check_every_version_others_only_the_latest() -> None:
    v1 = (1, record({"name": "a", "type": "string"}))
    v2 = (2, record({"name": "other", "type": "int", "default": 0}))
    new = record({"name": "a", "type": "int", "default": 0})
    assert check_compatibility(Level.BACKWARD, new, [v1, v2]) == []
    messages = check_compatibility(Level.BACKWARD_TRANSITIVE, new, [v1, v2])
    assert messages == [
        "new schema cannot read data written with version 1: field 'a': writer type string "
        "cannot be read as reader type int (TYPE_MISMATCH)"
    ]


@pytest.mark.parametrize(
    ("reader", "writer", "kind"),
    [
        (
            {"type": "enum", "name": "E", "symbols": ["A"]},
            {"type": "enum", "name": "E", "symbols": ["A", "B"]},
            "MISSING_ENUM_SYMBOLS",
        ),
        (
            {"type": "fixed", "name": "F", "size": 2},
            {"type": "fixed", "name": "F", "size": 3},
            "FIXED_SIZE_MISMATCH",
        ),
        (
            {"type": "fixed", "name": "F", "size": 2},
            {"type": "fixed", "name": "G", "size": 2},
            "NAME_MISMATCH",
        ),
        (["null", "int"], ["null", "string"], "MISSING_UNION_BRANCH"),
        ("int", "long", "TYPE_MISMATCH"),
        ({"type": "array", "items": "int"}, {"type": "array", "items": "double"}, "TYPE_MISMATCH"),
    ],
)
def test_each_broken_rule_is_reported_by_name(reader: Any, writer: Any, kind: str) -> None:
    problems = reader_writer_problems(
        record({"name": "x", "type": reader}), record({"name": "x", "type": writer})
    )
    assert [p.kind for p in problems] == [kind]
    assert problems[0].path.startswith("x")


@pytest.mark.parametrize(
    ("reader", "writer"),
    [
        ("long", "int"),
        ("float", "long"),
        ("double", "float"),
        ("string", "bytes"),
        ("bytes", "string"),
        (["null", "long"], "int"),
        ("int", ["int"]),
        (
            {"type": "enum", "name": "E", "symbols": ["A"], "default": "A"},
            {"type": "enum", "name": "E", "symbols": ["A", "B"]},
        ),
        (
            {"type": "fixed", "name": "F", "size": 2, "aliases": ["ugc.G"]},
            {"type": "fixed", "name": "G", "size": 2},
        ),
    ],
)
def test_promotions_unions_enum_defaults_and_aliases_are_compatible(
    reader: Any, writer: Any
) -> None:
    assert (
        reader_writer_problems(
            record({"name": "x", "type": reader}), record({"name": "x", "type": writer})
        )
        == []
    )


def test_renamed_field_is_matched_through_a_reader_alias() -> None:
    new = record({"name": "score", "type": "int", "aliases": ["rating"]})
    assert (
        check_compatibility(Level.BACKWARD, new, [record({"name": "rating", "type": "int"})]) == []
    )


def test_recursive_schemas_terminate() -> None:
    node = {"name": "next", "type": ["null", "Review"], "default": None}
    assert check_compatibility(Level.FULL, record(node, A_INT), [record(node)]) != []
    assert check_compatibility(Level.FULL, record(node), [record(node)]) == []


# --- property test -----------------------------------------------------------------------

PRIMITIVE_TYPES = ["int", "long", "float", "double", "string", "bytes", "boolean"]
SYMBOLS = ["A", "B", "C"]
NAMES = ["a", "b", "c", "d", "e"]
DEFAULTS: dict[str, Any] = {
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "string": "",
    "bytes": "",
    "boolean": False,
}
VALUES: dict[str, Any] = {
    "int": 7,
    "long": 2**40,
    "float": 1.5,
    "double": 2.5,
    "string": "s",
    "bytes": b"b",
    "boolean": True,
}


@st.composite
def field_specs(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A field: base type (primitive or enum symbols), nullable, and whether it has a default."""
    base: Any = draw(st.sampled_from([*PRIMITIVE_TYPES, "enum"]))
    spec: dict[str, Any] = {"name": name, "base": base, "nullable": draw(st.booleans())}
    if base == "enum":
        spec["symbols"] = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, unique=True))
        spec["enum_default"] = draw(st.booleans())
    spec["has_default"] = draw(st.booleans())
    return spec


@st.composite
def mutated(draw: st.DrawFn, spec: dict[str, Any]) -> dict[str, Any]:
    """The reader's view of a writer field: maybe a new type, nullability, symbols or default."""
    changed = dict(spec)
    if draw(st.booleans()):
        changed = draw(field_specs(spec["name"]))
    elif spec["base"] == "enum" and draw(st.booleans()):
        changed["symbols"] = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, unique=True))
    changed["nullable"] = draw(st.booleans()) if draw(st.booleans()) else spec["nullable"]
    return changed


def avro_field(spec: dict[str, Any]) -> dict[str, Any]:
    base = spec["base"]
    type_: Any = base
    default: Any = DEFAULTS.get(base)
    if base == "enum":
        type_ = {"type": "enum", "name": f"E_{spec['name']}", "symbols": spec["symbols"]}
        if spec["enum_default"]:
            type_["default"] = spec["symbols"][0]
        default = spec["symbols"][0]
    field: dict[str, Any] = {
        "name": spec["name"],
        "type": ["null", type_] if spec["nullable"] else type_,
    }
    if spec["has_default"]:
        field["default"] = None if spec["nullable"] else default
    return field


@st.composite
def schema_pairs(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    writer = [draw(field_specs(n)) for n in names]
    reader = [draw(mutated(s)) for s in writer if draw(st.integers(0, 4))]  # ~1 in 5 dropped
    extra = [n for n in NAMES if n not in names]
    reader += [
        draw(field_specs(n))
        for n in draw(st.lists(st.sampled_from(extra), max_size=2, unique=True))
    ]
    return writer, reader


def witnesses(writer: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Writer data covering each null/non-null branch and each enum symbol, one field at a time."""

    def value(spec: dict[str, Any], symbol: str | None = None) -> Any:
        return symbol or spec["symbols"][0] if spec["base"] == "enum" else VALUES[spec["base"]]

    base = {s["name"]: value(s) for s in writer}
    data = [base]
    for spec in writer:
        if spec["nullable"]:
            data.append({**base, spec["name"]: None})
        for symbol in spec.get("symbols", []):
            data.append({**base, spec["name"]: value(spec, symbol)})
    return data


def reads(writer: ParsedSchema, reader: ParsedSchema, datum: dict[str, Any]) -> bool:
    writer_schema = fastavro.parse_schema(writer.to_fastavro())
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, writer_schema, datum)
    buffer.seek(0)
    try:
        fastavro.schemaless_reader(
            buffer, writer_schema, fastavro.parse_schema(reader.to_fastavro())
        )
    except Exception:  # fastavro signals resolution failures with several exception types
        return False
    return True


def apache_avro_agrees(reader: ParsedSchema, writer: ParsedSchema) -> bool:
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(
        avro.schema.parse(json.dumps(reader.to_fastavro())),
        avro.schema.parse(json.dumps(writer.to_fastavro())),
    )
    return result.compatibility is SchemaCompatibilityType.compatible


@settings(max_examples=200, deadline=None, derandomize=True)
@given(schema_pairs())
def test_verdict_matches_what_real_avro_resolution_does(
    pair: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    writer_specs, reader_specs = pair
    old = record(*(avro_field(s) for s in writer_specs))
    new = record(*(avro_field(s) for s in reader_specs))
    compatible = check_compatibility(Level.BACKWARD, new, [old]) == []
    outcomes = [reads(old, new, datum) for datum in witnesses(writer_specs)]
    if compatible:
        assert all(outcomes)
    else:
        assert not all(outcomes)
    assert apache_avro_agrees(new, old) is compatible
