"""The Avro -> ClickHouse type mapping, on the typed Avro tree (no warehouse needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from contracts.loading import load_contracts
from etl.mapping import MappingError, clickhouse_cannot_read, columns_of
from registry.client.avro.parse import parse_schema

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def record(*fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "E", "fields": list(fields)})


def columns(*fields: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(c.name, c.type, c.default) for c in columns_of(parse_schema(record(*fields)).root)]


@pytest.mark.parametrize(
    ("avro", "clickhouse"),
    [
        ("boolean", "Bool"),
        ("int", "Int32"),
        ("long", "Int64"),
        ("float", "Float32"),
        ("double", "Float64"),
        ("string", "String"),
        ("bytes", "String"),
        ({"type": "string", "logicalType": "uuid"}, "UUID"),
        ({"type": "long", "logicalType": "timestamp-millis"}, "DateTime64(3, 'UTC')"),
        ({"type": "long", "logicalType": "timestamp-micros"}, "DateTime64(6, 'UTC')"),
        ({"type": "int", "logicalType": "date"}, "Date32"),
        (
            {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            "Decimal(10, 2)",
        ),
        ({"type": "fixed", "name": "F", "size": 4}, "FixedString(4)"),
        ({"type": "enum", "name": "P", "symbols": ["web", "ios"]}, "Enum8('web' = 1, 'ios' = 2)"),
        (["null", "string"], "Nullable(String)"),
        (["string", "null"], "Nullable(String)"),
        ({"type": "array", "items": "string"}, "Array(String)"),
        ({"type": "map", "values": "long"}, "Map(String, Int64)"),
        (["null", {"type": "array", "items": "string"}], "Array(String)"),
        ([{"type": "map", "values": "int"}, "null"], "Map(String, Int32)"),
        (
            {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "R",
                    "fields": [
                        {"name": "a", "type": "int"},
                        {"name": "b", "type": ["null", "string"]},
                    ],
                },
            },
            "Array(Tuple(a Int32, b Nullable(String)))",
        ),
    ],
)
def test_each_avro_type_has_one_clickhouse_type(avro: Any, clickhouse: str) -> None:
    assert columns({"name": "f", "type": avro}) == [("f", clickhouse, None)]


def test_a_nested_record_is_flattened_into_dotted_columns_with_leaf_or_record_defaults() -> None:
    context = {
        "type": "record",
        "name": "Context",
        "fields": [
            {"name": "app", "type": "string"},
            {"name": "locale", "type": ["null", "string"], "default": None},
        ],
    }
    assert columns({"name": "context", "type": context, "default": {"app": "web"}}) == [
        ("context.app", "String", "'web'"),
        ("context.locale", "Nullable(String)", "NULL"),
    ]


@pytest.mark.parametrize(
    ("avro", "default", "expression"),
    [
        ("int", 7, "7"),
        ("boolean", True, "true"),
        ("double", 1.5, "1.5"),
        ("string", "it's", "'it\\'s'"),
        (["null", "int"], None, "NULL"),
        (["int", "null"], 3, "3"),
        (
            {"type": "string", "logicalType": "uuid"},
            "5b0e4f7c-3a57-4d9c-9a8e-0f1c2d3e4f50",
            "toUUID('5b0e4f7c-3a57-4d9c-9a8e-0f1c2d3e4f50')",
        ),
        (
            {"type": "long", "logicalType": "timestamp-millis"},
            0,
            "fromUnixTimestamp64Milli(toInt64(0), 'UTC')",
        ),
        ({"type": "enum", "name": "P", "symbols": ["a", "b"]}, "b", "'b'"),
        ({"type": "array", "items": "string"}, ["x"], "['x']"),
        ({"type": "map", "values": "int"}, {"k": 1}, "map('k', 1)"),
    ],
)
def test_an_avro_default_becomes_the_column_default(
    avro: Any, default: Any, expression: str
) -> None:
    assert columns({"name": "f", "type": avro, "default": default})[0][2] == expression


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"name": "f", "type": ["int", "string"]}, "only [null, T] unions"),
        (
            {"name": "f", "type": ["null", {"type": "record", "name": "R", "fields": []}]},
            "an optional record has no column",
        ),
        (
            {
                "name": "f",
                "type": {"type": "array", "items": ["null", {"type": "map", "values": "int"}]},
            },
            "an optional Map has no column",
        ),
        ({"name": "_offset", "type": "long"}, "collides with a load metadata column"),
    ],
)
def test_a_shape_without_a_column_is_refused_naming_the_field(
    field: dict[str, Any], message: str
) -> None:
    with pytest.raises(MappingError, match=re.escape(message)):
        columns(field)


@pytest.mark.parametrize(
    ("avro", "expression"),
    [
        (["null", {"type": "array", "items": "string"}], "[]"),
        (["null", {"type": "map", "values": "int"}], "map()"),
        (["null", "string"], "NULL"),
    ],
)
def test_an_optional_container_defaults_to_empty_not_null(avro: Any, expression: str) -> None:
    assert columns({"name": "f", "type": avro, "default": None})[0][2] == expression


def test_every_contract_maps_and_clickhouse_reads_every_one() -> None:
    for contract in load_contracts(SCHEMAS):
        root = parse_schema(contract.schema).root
        assert columns_of(root)[0].name == "event_id"
        assert clickhouse_cannot_read(root) is None, contract.event_type


def test_a_record_default_that_leaves_fields_out_sends_the_schema_to_the_python_path() -> None:
    inner = {
        "type": "record",
        "name": "Filters",
        "fields": [
            {"name": "genres", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "year", "type": ["null", "int"], "default": None},
        ],
    }
    field = {"name": "filters", "type": inner, "default": {"year": None}}
    schema = {"type": "record", "name": "E", "fields": [field]}
    refusal = clickhouse_cannot_read(parse_schema(json.dumps(schema)).root)
    assert refusal is not None and "leaves out genres" in refusal
    field["default"] = {"genres": [], "year": None}
    assert clickhouse_cannot_read(parse_schema(json.dumps(schema)).root) is None
