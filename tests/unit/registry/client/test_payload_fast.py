"""The compiled fast path gives exactly marshmallow's datum for every valid payload, and
steps aside (None) for every payload marshmallow would refuse."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from contracts.loading import Contract, load_contracts
from registry.client.payload import PayloadError, to_datum
from registry.client.payload_fast import compile_fast_path

SCHEMAS = Path(__file__).resolve().parents[4] / "schemas"
CONTRACTS = {contract.event_type: contract for contract in load_contracts(SCHEMAS)}
OWNED = ("user_id", "received_at")
OPTIONAL = ("event_id",)


def both(contract: Contract, payload: Any) -> tuple[dict[str, Any] | None, Any]:
    fast = compile_fast_path(contract.schema, server_owned=OWNED, optional=OPTIONAL)
    try:
        slow: Any = to_datum(contract.schema, payload, server_owned=OWNED, optional=OPTIONAL)
    except PayloadError as exc:
        slow = exc
    return fast(copy.deepcopy(payload)), slow


@pytest.mark.parametrize("event_type", sorted(CONTRACTS))
def test_every_published_example_gives_the_marshmallow_datum(event_type: str) -> None:
    contract = CONTRACTS[event_type]
    fast, slow = both(contract, contract.example)
    assert fast is not None
    assert fast == slow


def progress(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(CONTRACTS["film_progress"].example)
    for path, value in changes.items():
        target = payload
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return payload


VALID = {
    "epoch_millis_timestamp": progress(occurred_at=1795819000123),
    "offset_timestamp": progress(occurred_at="2026-11-27T23:15:00+03:00"),
    "upper_case_uuid_is_normalised": progress(film_id="3F2B8C1E-7D4A-4E6B-9C1F-2A5D8E7B6C40"),
    "no_event_id": progress(event_id=...),
    "optional_context_fields_null": progress(context__user_agent=None, context__locale=None),
    "enum_default_used_when_absent": progress(context__platform=...),
}

INVALID = {
    "string_for_long": progress(position_ms="1834000"),
    "bool_for_long": progress(position_ms=True),
    "float_for_long": progress(position_ms=1.5),
    "long_out_of_range": progress(position_ms=2**63),
    "naive_timestamp": progress(occurred_at="2026-11-27T20:15:00"),
    "not_a_timestamp": progress(occurred_at="yesterday"),
    "bad_uuid": progress(film_id="film-1"),
    "unknown_field": progress(rating=5),
    "server_owned_user_id": progress(user_id="3f2b8c1e-7d4a-4e6b-9c1f-2a5d8e7b6c40"),
    "missing_required": progress(film_id=...),
    "null_for_required": progress(duration_ms=None),
    "unknown_enum_symbol": progress(context__platform="toaster"),
    "context_not_an_object": progress(context="web"),
    "unknown_nested_field": progress(context__colour="red"),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_variants_give_the_marshmallow_datum(name: str) -> None:
    fast, slow = both(CONTRACTS["film_progress"], VALID[name])
    assert fast is not None
    assert fast == slow


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_payloads_are_left_to_marshmallow_which_refuses_them(name: str) -> None:
    fast, slow = both(CONTRACTS["film_progress"], INVALID[name])
    assert fast is None
    assert isinstance(slow, PayloadError)


@pytest.mark.parametrize("payload", [None, [], "event", 3])
def test_a_payload_that_is_not_an_object_is_left_to_marshmallow(payload: Any) -> None:
    fast, slow = both(CONTRACTS["film_progress"], payload)
    assert fast is None and isinstance(slow, PayloadError)


def test_search_filters_with_arrays_and_defaults_match() -> None:
    contract = CONTRACTS["search_query"]
    payload = copy.deepcopy(contract.example)
    payload.pop("filters", None)
    fast, slow = both(contract, payload)
    assert fast is not None and fast == slow
    fast_again, _ = both(contract, payload)
    assert fast_again is not None
    fast_again["filters"]["genres"] = ["mutated"] if "genres" in fast_again["filters"] else []
    assert both(contract, payload)[0] == slow


def test_regression_a_missing_bytes_field_gets_the_marshmallow_datum_of_its_default() -> None:
    # The fast path copied the Avro default ("\u00ff", latin-1 text) where the datum is b"\xff".
    schema = {
        "type": "record",
        "name": "Blob",
        "fields": [
            {"name": "blob", "type": "bytes", "default": "\u00ff"},
            {"name": "digest", "type": {"type": "fixed", "name": "D", "size": 1}, "default": "a"},
        ],
    }
    expected = {"blob": b"\xff", "digest": b"a"}
    assert to_datum(schema, {}) == expected
    assert compile_fast_path(schema)({}) in (None, expected)
