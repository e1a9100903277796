from __future__ import annotations

import json

from services.console.forms import form_fields, payload_from_form, skeleton

SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Review",
        "fields": [
            {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "score", "type": "int"},
            {"name": "weight", "type": "double", "default": 1.0},
            {"name": "spoiler", "type": "boolean"},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
            {"name": "comment", "type": ["null", "string"], "default": None},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        ],
    }
)


def test_each_field_gets_a_widget_for_its_type() -> None:
    fields = {f.name: f for f in form_fields(SCHEMA)}
    assert {name: f.widget for name, f in fields.items()} == {
        "event_id": "text",
        "score": "integer",
        "weight": "number",
        "spoiler": "boolean",
        "kind": "choice",
        "comment": "text",
        "tags": "json",
    }
    assert fields["event_id"].logical == "uuid"
    assert fields["kind"].choices == ("A", "B")
    assert fields["comment"].optional and not fields["comment"].required
    assert fields["score"].required
    assert fields["tags"].default_text == "[]"


def test_a_form_becomes_a_payload_and_every_bad_field_is_named() -> None:
    fields = form_fields(SCHEMA)
    payload, problems = payload_from_form(
        fields,
        {
            "field.event_id": "00000000-0000-4000-8000-000000000001",
            "field.score": "four",
            "field.weight": "",
            "field.spoiler": "true",
            "field.kind": "B",
            "field.comment": "",
            "field.tags": "[oops",
        },
    )
    assert payload == {
        "event_id": "00000000-0000-4000-8000-000000000001",
        "spoiler": True,
        "kind": "B",
    }
    assert [p["path"] for p in problems] == ["score", "tags"]
    assert problems[0]["message"] == "expected an integer, got 'four'"


def test_the_json_skeleton_has_every_field() -> None:
    assert set(json.loads(skeleton(form_fields(SCHEMA)))) == {
        "event_id",
        "score",
        "weight",
        "spoiler",
        "kind",
        "comment",
        "tags",
    }
