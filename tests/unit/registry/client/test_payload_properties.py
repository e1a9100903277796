"""Property-based tests of the payload decoder (`registry.client.payload`, its fast path and
its JSON Schema): whatever its documented schema allows, it reads and Avro writes; whatever
JSON arrives, it answers with a datum Avro writes or with problems, never an exception."""

from __future__ import annotations

import functools
import inspect
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields

from contracts.conventions import CLIENT_OPTIONAL_FIELDS, SERVER_OWNED_FIELDS
from contracts.loading import load_contracts
from registry.client import payload_fields
from registry.client.avro_writer import compile_encoder
from registry.client.payload import PayloadError, to_datum
from registry.client.payload_fast import compile_fast_path
from registry.client.payload_schema import WRITERS, payload_json_schema
from tests.unit.registry.client.test_payload import MINIMAL, SCHEMA

SCHEMAS_DIR = Path(__file__).resolve().parents[4] / "schemas"
CONTRACTS = {c.event_type: c for c in load_contracts(SCHEMAS_DIR)}
# The wide test schema (every Avro type the mapping reads) and every event contract:
# (Avro schema, server-owned fields, client-optional fields, a valid payload).
CASES: dict[str, tuple[dict[str, Any], tuple[str, ...], tuple[str, ...], dict[str, Any]]] = {
    "sample": (SCHEMA, (), (), MINIMAL),
    **{
        name: (c.parsed_schema, SERVER_OWNED_FIELDS, CLIENT_OPTIONAL_FIELDS, c.example)
        for name, c in CONTRACTS.items()
    },
}
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**1100), max_value=2**1100)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@functools.cache
def _body_strategy(name: str) -> st.SearchStrategy[Any]:
    """Request bodies the JSON Schema of `name` allows, drawn by schemathesis from a
    one-operation OpenAPI document."""
    avro, server_owned, optional, _ = CASES[name]
    pointer = f"#/components/schemas/{name}"
    body = payload_json_schema(avro, pointer=pointer, server_owned=server_owned, optional=optional)
    document = {
        "openapi": "3.0.3",
        "info": {"title": name, "version": "1"},
        "paths": {
            "/event": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": pointer}}},
                    },
                    "responses": {"202": {"description": "accepted"}},
                }
            }
        },
        "components": {"schemas": {name: body}},
    }
    operation = schemathesis.openapi.from_dict(document)["/event"]["POST"]
    return operation.as_strategy().map(lambda case: case.body)


def _written(name: str, datum: dict[str, Any]) -> None:
    """`datum`, completed as the API completes an event, is written by our encoder exactly
    as fastavro writes it."""
    if name != "sample":
        filled = {"user_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "received_at": _NOW}
        datum = {"event_id": "0b8f5d4e-2c1a-4f3b-8e6d-9a7c5b3d1e20", **datum, **filled}
    avro = CASES[name][0]
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(json.loads(json.dumps(avro))), datum)
    assert compile_encoder(json.dumps(avro))(datum) == buffer.getvalue()


_NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def _read(name: str, payload: Any) -> dict[str, Any] | None:
    """The datum of `payload`, or None when refused; the fast path must agree when it
    answers, and an accepted datum must be writable."""
    avro, server_owned, optional, _ = CASES[name]
    fast = compile_fast_path(avro, server_owned=server_owned, optional=optional)(payload)
    try:
        datum = to_datum(avro, payload, server_owned=server_owned, optional=optional)
    except PayloadError as exc:
        assert exc.errors and all(set(e) == {"path", "message"} for e in exc.errors)
        assert fast is None, f"the fast path accepted what marshmallow refused: {exc.errors}"
        return None
    assert fast is None or fast == datum
    return datum


def test_every_field_class_of_the_mapping_has_a_json_schema_writer() -> None:
    classes = {
        cls
        for _, cls in inspect.getmembers(payload_fields, inspect.isclass)
        if issubclass(cls, fields.Field) and cls.__module__ == payload_fields.__name__
    }
    assert classes == set(WRITERS)


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_payload_the_document_allows_is_read_and_written(name: str, data: Any) -> None:
    payload = data.draw(_body_strategy(name))
    datum = _read(name, payload)
    assert datum is not None, payload
    _written(name, datum)


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=JSON)
def test_a_valid_payload_with_any_json_in_one_field_is_read_or_refused_with_problems(
    name: str, data: Any, value: Any
) -> None:
    avro, _, _, valid = CASES[name]
    field = data.draw(st.sampled_from([spec["name"] for spec in avro["fields"]]))
    datum = _read(name, {**valid, field: value})
    if datum is not None:
        _written(name, datum)


@settings(max_examples=200, deadline=None)
@given(payload=JSON)
def test_any_json_document_is_read_or_refused_with_problems(payload: Any) -> None:
    for name in CASES:
        datum = _read(name, payload)
        if datum is not None:
            _written(name, datum)


@given(text=st.text(min_size=0, max_size=3), surrogate=SURROGATES)
def test_a_lone_surrogate_in_any_string_is_refused(text: str, surrogate: str) -> None:
    for value in (text + surrogate, surrogate + text):
        [error] = _problems("sample", {**MINIMAL, "name": value})
        assert error["path"] == "name" and "surrogate" in error["message"]
        [error] = _problems("sample", {**MINIMAL, "attrs": {value: 1}})
        assert error["path"] == f"attrs.{value}" and "surrogate" in error["message"]


@given(value=st.integers(min_value=2**1024))
def test_a_number_past_the_largest_double_is_refused(value: int) -> None:
    [error] = _problems("sample", {**MINIMAL, "score": value})
    assert error["path"] == "score" and "64-bit float" in error["message"]


def _problems(name: str, payload: Any) -> list[dict[str, str]]:
    avro, server_owned, optional, _ = CASES[name]
    with pytest.raises(PayloadError) as caught:
        to_datum(avro, payload, server_owned=server_owned, optional=optional)
    fast = compile_fast_path(avro, server_owned=server_owned, optional=optional)
    assert fast(payload) is None
    return caught.value.errors
