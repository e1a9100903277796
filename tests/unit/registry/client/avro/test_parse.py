"""Parsing, validation and the canonical (Java `Schema.toString`) form of Avro schemas."""

from __future__ import annotations

import io
import json

import fastavro
import pytest

from registry.client.avro.canonical import encode_json
from registry.client.avro.parse import InvalidSchemaError, parse_schema
from registry.client.models import SchemaReference, SchemaType, Subject, Version

CONTEXT = (
    '{"type":"record","name":"Context","namespace":"ugc","fields":[{"name":"ua","type":"string"}]}'
)
CONTEXT_REF = SchemaReference("ugc.Context", Subject("ugc.Context"), Version(1))


def canonical(text: str, **kwargs: object) -> str:
    return parse_schema(text, **kwargs).canonical  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "string"}', '"string"'),
        ('  "string"  ', '"string"'),
        ('{"type":"int","logicalType":"date"}', '{"type":"int","logicalType":"date"}'),
        ('{"items": "long", "type": "array"}', '{"type":"array","items":"long"}'),
        (
            '{"values": {"type":"string"}, "type": "map", "x": 1}',
            '{"type":"map","values":"string","x":1}',
        ),
        ('["null", {"type": "string"}]', '["null","string"]'),
    ],
)
def test_canonical_form_ignores_whitespace_and_object_wrapping(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_canonical_form_orders_keys_like_java_avro() -> None:
    text = json.dumps(
        {
            "aliases": ["Old"],
            "custom": {"k": [1, 2.5]},
            "fields": [
                {
                    "x": True,
                    "order": "descending",
                    "default": 3,
                    "doc": "d",
                    "type": "int",
                    "name": "n",
                },
                {
                    "name": "k",
                    "type": {"symbols": ["A", "B"], "default": "A", "name": "Kind", "type": "enum"},
                },
                {
                    "name": "f",
                    "type": {"size": 2, "type": "fixed", "name": "F", "logicalType": "x"},
                },
            ],
            "doc": "A review.",
            "namespace": "ugc",
            "name": "Review",
            "type": "record",
        }
    )
    assert canonical(text) == (
        '{"type":"record","name":"Review","namespace":"ugc","doc":"A review.","fields":['
        '{"name":"n","type":"int","doc":"d","default":3,"order":"descending","x":true},'
        '{"name":"k","type":{"type":"enum","name":"Kind","symbols":["A","B"],"default":"A"}},'
        '{"name":"f","type":{"type":"fixed","name":"F","size":2,"logicalType":"x"}}],'
        '"custom":{"k":[1,2.5]},"aliases":["Old"]}'
    )


def test_nested_names_omit_the_enclosing_namespace_and_repeat_by_name() -> None:
    text = json.dumps(
        {
            "type": "record",
            "name": "ugc.Outer",
            "fields": [
                {"name": "a", "type": {"type": "record", "name": "Inner", "fields": []}},
                {"name": "b", "type": "Inner"},
                {"name": "c", "type": {"type": "enum", "name": "other.E", "symbols": ["X"]}},
                {"name": "d", "type": ["null", "other.E"]},
                {"name": "e", "type": {"type": "fixed", "name": "G", "namespace": "", "size": 1}},
            ],
        }
    )
    assert canonical(text) == (
        '{"type":"record","name":"Outer","namespace":"ugc","fields":['
        '{"name":"a","type":{"type":"record","name":"Inner","fields":[]}},'
        '{"name":"b","type":"Inner"},'
        '{"name":"c","type":{"type":"enum","name":"E","namespace":"other","symbols":["X"]}},'
        '{"name":"d","type":["null","other.E"]},'
        '{"name":"e","type":{"type":"fixed","name":"G","namespace":"","size":1}}]}'
    )


@pytest.mark.parametrize(
    "changed",
    [
        '{"type":"record","name":"R","doc":"x","fields":[{"name":"a","type":"int"}]}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1}]}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int","aliases":["b"]}]}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}],"owner":"me"}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"int","p":1}}]}',
    ],
)
def test_doc_defaults_aliases_and_properties_count_for_identity(changed: str) -> None:
    plain = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
    assert parse_schema(changed) != parse_schema(plain)


def test_parsed_schemas_are_equal_and_hashed_by_canonical_form() -> None:
    one = parse_schema('{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}')
    two = parse_schema(
        '{ "fields": [{"type": {"type": "int"}, "name": "a"}], "name": "R", "type": "record" }'
    )
    assert one == two
    assert len({one, two}) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e10, "1.0E10"),
        (1e7, "1.0E7"),
        (1234567.5, "1234567.5"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (1e-4, "1.0E-4"),
        (-2.5e-7, "-2.5E-7"),
        (0.0, "0.0"),
        (12345678901234567890, "12345678901234567890"),
        ('tab\there \u0001 é "q" \\', '"tab\\there \\u0001 é \\"q\\" \\\\"'),
        ({"a": [None, True, False]}, '{"a":[null,true,false]}'),
    ],
)
def test_json_values_are_written_as_jackson_writes_them(value: object, expected: str) -> None:
    assert encode_json(value) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty schema"),
        ("   ", "empty schema"),
        ('{"type":\n  "record",,}', "invalid JSON at line 2 column 12"),
        ('{"type":"string"} trailing', "invalid JSON at line 1 column 19"),
        ('"ugc.Context"', "unknown type 'ugc.Context'"),
        (
            '{"type":"record","name":"R","fields":[{"name":"c","type":"ugc.Context"}]}',
            "field 'c': unknown type 'ugc.Context'",
        ),
        (
            '{"type":"record","name":"R","fields":[{"name":"rating","type":"int","default":"x"}]}',
            "field 'rating': default 'x' does not match type int",
        ),
        (
            '{"type":"record","name":"R","fields":[{"name":"n","type":["null","int"],"default":1}]}',
            "a union's default must match its first branch",
        ),
        (
            '{"type":"record","name":"R","fields":[{"name":"n","type":"int","default":2147483648}]}',
            "default 2147483648 does not match type int",
        ),
        (
            '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}',
            "duplicate fields",
        ),
        ('{"type":"record","name":"1R","fields":[]}', "must start with a letter"),
        ('{"type":"enum","name":"E","symbols":["A","A"]}', "repeats a symbol"),
        ('{"type":"enum","name":"E","symbols":["A"],"default":"B"}', "not one of its symbols"),
        ('["int", "int"]', "union contains int twice"),
        ('{"type":"fixed","name":"F"}', "needs an int 'size'"),
        ('{"type":"array"}', "array has no 'items'"),
        ('{"name":"x"}', "has no 'type'"),
        ("42", "expected a type name, object or array, got number 42"),
        (
            '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"R","fields":[]}}]}',
            "type 'R' is defined twice",
        ),
    ],
)
def test_invalid_schemas_are_rejected_with_a_precise_message(text: str, message: str) -> None:
    with pytest.raises(InvalidSchemaError, match=None) as raised:
        parse_schema(text)
    assert message in str(raised.value)


@pytest.mark.parametrize("schema_type", [SchemaType.JSON, SchemaType.PROTOBUF])
def test_non_avro_schema_types_are_rejected(schema_type: SchemaType) -> None:
    with pytest.raises(InvalidSchemaError, match=f"schema type {schema_type} is not supported"):
        parse_schema("{}", schema_type=schema_type)


@pytest.mark.parametrize(
    "text",
    [
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}',
        '{"type":"record","name":"my-record","fields":[{"name":"a b","type":"int","order":"up"}]}',
        '{"type":"string"} {"trailing": "text"}',
    ],
)
def test_lenient_parsing_accepts_what_strict_parsing_rejects(text: str) -> None:
    with pytest.raises(InvalidSchemaError):
        parse_schema(text)
    assert parse_schema(text, strict=False).canonical


def test_lenient_and_strict_parsing_agree_on_the_canonical_form() -> None:
    text = (
        '{"type":"record","name":"R","namespace":"a",'
        '"fields":[{"name":"x","type":"double","default":"1.5"}]}'
    )
    assert canonical(text) == canonical(text, strict=False)
    assert '"default":1.5' in canonical(text)


def test_referenced_types_are_usable_and_written_by_name() -> None:
    text = (
        '{"type":"record","name":"Review","namespace":"ugc",'
        '"fields":[{"name":"c","type":"Context"}]}'
    )
    parsed = parse_schema(text, references=[(CONTEXT_REF, CONTEXT)])
    assert parsed.canonical == (
        '{"type":"record","name":"Review","namespace":"ugc","fields":[{"name":"c","type":"Context"}]}'
    )
    assert parsed.references == (CONTEXT_REF,)
    assert parsed != parse_schema(text.replace('"Context"', CONTEXT))


def test_transitive_references_resolve_in_dependency_order() -> None:
    middle = '{"type":"record","name":"ugc.Session","fields":[{"name":"c","type":"ugc.Context"}]}'
    middle_ref = SchemaReference("ugc.Session", Subject("ugc.Session"), Version(2))
    text = '{"type":"record","name":"ugc.Review","fields":[{"name":"s","type":"ugc.Session"}]}'
    pairs = [(CONTEXT_REF, CONTEXT), (middle_ref, middle), (CONTEXT_REF, CONTEXT)]
    parsed = parse_schema(text, references=pairs)
    assert parsed.references == (CONTEXT_REF, middle_ref)
    assert '"type":"Session"' in parsed.canonical


def test_to_fastavro_is_self_contained_and_round_trips_data() -> None:
    text = (
        '{"type":"record","name":"Review","namespace":"ugc","fields":[{"name":"c","type":"Context"},'
        '{"name":"d","type":["null","Context"],"default":null}]}'
    )
    parsed = parse_schema(text, references=[(CONTEXT_REF, CONTEXT)])
    schema = fastavro.parse_schema(parsed.to_fastavro())
    record = {"c": {"ua": "curl"}, "d": {"ua": "wget"}}
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, record)
    buffer.seek(0)
    assert fastavro.schemaless_reader(buffer, schema, None) == record


def test_recursive_types_parse_and_print_by_name() -> None:
    text = (
        '{"type":"record","name":"Node",'
        '"fields":[{"name":"next","type":["null","Node"],"default":null}]}'
    )
    assert canonical(text) == text
    fastavro.parse_schema(parse_schema(text).to_fastavro())
