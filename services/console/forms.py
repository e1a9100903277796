"""The produce form: one input per top-level field of a record schema, generated from the
typed Avro tree, and the JSON payload a submitted form means.

Widgets follow the field's type: text for strings (uuids and timestamps too, in the JSON
form `registry.client.payload` reads), number inputs for ints and floats, a select for
booleans and enums, and a JSON text area for records, arrays, maps and unions of several
types. An optional field (`["null", T]`) left empty is null; a field with a default left
empty takes its default. Conversion problems are collected for every field at once, then
`registry.client.payload.to_datum` checks the whole payload against the schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.client.avro.parse import parse_json
from registry.client.avro.types import NO_DEFAULT, Enum, Node, Primitive, Record, Union, describe

_NUMBERS = {"int": "integer", "long": "integer", "float": "number", "double": "number"}


@dataclass(frozen=True)
class FormField:
    name: str
    widget: str  # text, integer, number, boolean, choice, json
    type_label: str
    optional: bool
    has_default: bool
    default_text: str
    choices: tuple[str, ...] = ()
    doc: str | None = None
    logical: str | None = None

    @property
    def required(self) -> bool:
        return not (self.optional or self.has_default)


def _widget(node: Node) -> tuple[str, tuple[str, ...], str | None]:
    if isinstance(node, Primitive):
        if node.type == "boolean":
            return "boolean", ("true", "false"), None
        if node.logical is not None:
            return "text", (), node.logical
        return _NUMBERS.get(node.type, "text"), (), None
    if isinstance(node, Enum):
        return "choice", tuple(node.symbols), None
    return "json", (), None


def form_fields(schema_text: str) -> list[FormField]:
    """The inputs of a record schema's top-level fields; ValueError if it is not a record."""
    root = parse_json(json.loads(schema_text), strict=False)
    if not isinstance(root, Record):
        raise ValueError(f"the schema is {describe(root)}, not a record")
    found = []
    for field in root.fields:
        node = field.type
        optional = False
        if isinstance(node, Union):
            others = [
                b for b in node.branches if not (isinstance(b, Primitive) and b.type == "null")
            ]
            optional = len(others) < len(node.branches)
            node = others[0] if len(others) == 1 else node
        widget, choices, logical = _widget(node)
        default_text = ""
        if field.has_default and field.default is not None:
            default_text = (
                field.default
                if isinstance(field.default, str) and widget != "json"
                else json.dumps(field.default)
            )
        found.append(
            FormField(
                field.name,
                widget,
                describe(field.type),
                optional,
                field.has_default and field.default is not NO_DEFAULT,
                default_text,
                choices,
                field.doc,
                logical,
            )
        )
    return found


def payload_from_form(
    fields: list[FormField], form: Mapping[str, str]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The JSON payload the form means, and every problem converting it (by field)."""
    payload: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for field in fields:
        text = form.get(f"field.{field.name}", "").strip()
        if text == "":
            if field.optional and not field.has_default:
                payload[field.name] = None
            continue  # absent: its default applies, or the payload check names it
        try:
            payload[field.name] = _value(field, text)
        except ValueError as exc:
            problems.append({"path": field.name, "message": str(exc)})
    return payload, problems


def _value(field: FormField, text: str) -> Any:
    if field.widget == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if field.widget == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if field.widget == "boolean":
        if text not in ("true", "false"):
            raise ValueError(f"expected true or false, got {text!r}")
        return text == "true"
    if field.widget == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValueError(f"not JSON: {exc}") from None
    return text


def skeleton(fields: list[FormField]) -> str:
    """A JSON payload to start from in the JSON mode: defaults, or a placeholder per type."""
    example: dict[str, Any] = {}
    for field in fields:
        if field.default_text:
            example[field.name] = (
                json.loads(field.default_text)
                if field.widget in ("json", "integer", "number")
                else field.default_text
            )
        elif field.optional:
            example[field.name] = None
        elif field.choices:
            example[field.name] = field.choices[0] if field.widget == "choice" else True
        elif field.widget in ("integer", "number"):
            example[field.name] = 0
        elif field.widget == "json":
            example[field.name] = {}
        else:
            example[field.name] = ""
    return json.dumps(example, indent=2)
