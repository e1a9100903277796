"""Field-level differences between two Avro record schemas (`contracts.diff`)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from contracts.diff import ChangeKind, FieldChange, diff_schemas, flatten_fields

BASE: dict[str, Any] = {
    "type": "record",
    "name": "Rating",
    "namespace": "ugc.events",
    "fields": [
        {"name": "score", "type": "int", "doc": "1 to 10."},
        {
            "name": "context",
            "type": {
                "type": "record",
                "name": "Context",
                "namespace": "ugc",
                "fields": [
                    {"name": "app", "type": "string"},
                    {
                        "name": "platform",
                        "type": {
                            "type": "enum",
                            "name": "Platform",
                            "namespace": "ugc",
                            "symbols": ["web", "unknown"],
                            "default": "unknown",
                        },
                        "default": "unknown",
                    },
                ],
            },
        },
        {"name": "previous", "type": ["null", "ugc.Context"], "default": None},
        {
            "name": "tags",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Tag",
                    "fields": [{"name": "label", "type": "string"}],
                },
            },
        },
    ],
}


def edited(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    change(schema)
    return schema


def field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(spec for spec in schema["fields"] if spec["name"] == name)


def context(schema: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = field(schema, "context")["type"]
    return record


def test_schema_compared_with_itself_has_no_changes() -> None:
    assert diff_schemas(BASE, json.dumps(BASE)) == []


def test_names_written_another_way_for_the_same_types_are_the_same_schema() -> None:
    def rewrite(schema: dict[str, Any]) -> None:
        record = context(schema)
        del record["namespace"]
        record["name"] = "ugc.Context"  # a full name instead of name + namespace
        del field(record, "platform")["type"]["namespace"]  # inherited from ugc.Context
        field(schema, "score")["type"] = {"type": "int"}  # a primitive written long-hand

    assert diff_schemas(BASE, edited(rewrite)) == []


def test_nested_and_referenced_records_are_flattened_to_dotted_paths() -> None:
    paths = list(flatten_fields(BASE))
    assert paths == [
        "score",
        "context",
        "context.app",
        "context.platform",
        "previous",
        "previous.app",
        "previous.platform",
        "tags",
        "tags[].label",
    ]


def test_field_added_to_a_shared_record_shows_under_every_path_that_uses_it() -> None:
    def add(schema: dict[str, Any]) -> None:
        context(schema)["fields"].append(
            {"name": "locale", "type": ["null", "string"], "default": None}
        )

    changes = diff_schemas(BASE, edited(add))
    assert changes == [
        FieldChange(ChangeKind.ADDED, "context.locale", None, "null | string (default null)"),
        FieldChange(ChangeKind.ADDED, "previous.locale", None, "null | string (default null)"),
    ]


def test_removed_field_is_reported_last_with_its_old_type() -> None:
    new = edited(lambda s: s["fields"].pop(0))
    assert diff_schemas(BASE, new) == [FieldChange(ChangeKind.REMOVED, "score", "int", None)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: field(s, "score").update(type="long"),
            FieldChange(ChangeKind.TYPE_CHANGED, "score", "int", "long"),
        ),
        (
            lambda s: field(s, "score").update(type={"type": "int", "logicalType": "date"}),
            FieldChange(ChangeKind.TYPE_CHANGED, "score", "int", "int (date)"),
        ),
        (
            lambda s: field(s, "score").update(default=5),
            FieldChange(ChangeKind.DEFAULT_CHANGED, "score", None, "5"),
        ),
        (
            lambda s: field(s, "previous").pop("default"),
            FieldChange(ChangeKind.DEFAULT_CHANGED, "previous", "null", None),
        ),
        (
            lambda s: field(s, "score").update(doc="From 1 to 5."),
            FieldChange(ChangeKind.DOC_CHANGED, "score", "1 to 10.", "From 1 to 5."),
        ),
    ],
    ids=["primitive-type", "logical-type", "default-added", "default-removed", "doc"],
)
def test_each_kind_of_field_change_is_named(
    change: Callable[[dict[str, Any]], None], expected: FieldChange
) -> None:
    assert diff_schemas(BASE, edited(change)) == [expected]


def test_enum_symbol_added_is_a_type_change_listing_the_symbols() -> None:
    def add_symbol(schema: dict[str, Any]) -> None:
        platform = field(context(schema), "platform")
        platform["type"]["symbols"].insert(1, "ios")

    changes = diff_schemas(BASE, edited(add_symbol))
    assert changes[0].kind is ChangeKind.TYPE_CHANGED
    assert changes[0].path == "context.platform"
    assert changes[0].old == "enum ugc.Platform {web, unknown}"
    assert changes[0].new == "enum ugc.Platform {web, ios, unknown}"


def test_doc_changes_can_be_left_out() -> None:
    new = edited(lambda s: field(s, "score").update(doc="changed"))
    assert diff_schemas(BASE, new, docs=False) == []


def test_field_with_the_old_name_as_alias_is_a_rename_not_a_removal() -> None:
    new = edited(lambda s: field(s, "score").update(name="rating", aliases=["score"]))
    assert diff_schemas(BASE, new) == [FieldChange(ChangeKind.RENAMED, "rating", "score", "rating")]


def test_nothing_registered_yet_means_every_field_is_added() -> None:
    changes = diff_schemas(None, BASE)
    assert {change.kind for change in changes} == {ChangeKind.ADDED}
    assert [change.path for change in changes] == list(flatten_fields(BASE))


def test_array_of_records_paths_go_through_the_items() -> None:
    def retype(schema: dict[str, Any]) -> None:
        field(schema, "tags")["type"]["items"]["fields"][0]["type"] = "bytes"

    assert diff_schemas(BASE, edited(retype)) == [
        FieldChange(ChangeKind.TYPE_CHANGED, "tags[].label", "string", "bytes")
    ]


def test_a_schema_that_is_not_a_record_cannot_be_diffed() -> None:
    with pytest.raises(ValueError, match="record"):
        diff_schemas(BASE, '"string"')


def test_change_reads_as_a_line_and_as_json() -> None:
    change = FieldChange(ChangeKind.DEFAULT_CHANGED, "score", None, "5")
    assert str(change) == "default changed score: (none) -> 5"
    assert change.to_json() == {
        "change": "default changed",
        "field": "score",
        "old": None,
        "new": "5",
    }
