from __future__ import annotations

import io
import json
import uuid
from typing import Any

import fastavro
import pytest
from flask.testing import FlaskClient

from contracts.loading import Contract
from registry.client import wire
from registry.client.fake import InMemoryRegistry
from registry.client.serdes import parse_schema
from tests.unit.services.api.conftest import USER, FakeProducer

RATING = {
    "occurred_at": "2026-11-27T22:21:07Z",
    "context": {"app": "cinema-web", "app_version": "4.12.0"},
    "film_id": "3f2b8c1e-7d4a-4e6b-9c1f-2a5d8e7b6c40",
    "score": 9,
}


def _decode(registry: InMemoryRegistry, value: bytes) -> dict[str, Any]:
    schema_id, body = wire.unframe(value)
    record = fastavro.schemaless_reader(
        io.BytesIO(body), parse_schema(registry.get_schema(schema_id)), None
    )
    assert isinstance(record, dict)
    return record


def test_each_manifest_example_is_accepted_and_written_framed_with_its_schema_id(
    client: FlaskClient,
    auth: dict[str, str],
    contracts: list[Contract],
    producer: FakeProducer,
    registry: InMemoryRegistry,
) -> None:
    for contract in contracts:
        response = client.post(
            f"/api/v1/events/{contract.event_type}", json=contract.example, headers=auth
        )
        assert response.status_code == 202, response.json
        body = response.json
        assert body is not None and body["topic"] == contract.topic
        message = producer.messages[-1]
        assert (message.topic, message.key) == (contract.topic, USER.encode())
        schema_id, _ = wire.unframe(message.value)
        assert schema_id == registry.get_latest(contract.subject).id
        record = _decode(registry, message.value)
        assert str(record["user_id"]) == USER
        assert str(record["event_id"]) == body["event_id"]


def test_server_sets_user_id_received_at_and_a_fresh_event_id(
    client: FlaskClient, auth: dict[str, str], producer: FakeProducer, registry: InMemoryRegistry
) -> None:
    first = client.post("/api/v1/events/film_rating", json=RATING, headers=auth).json
    second = client.post("/api/v1/events/film_rating", json=RATING, headers=auth).json
    assert first is not None and second is not None
    assert first["event_id"] != second["event_id"]
    assert uuid.UUID(first["event_id"]).version == 4
    record = _decode(registry, producer.messages[0].value)
    assert record["received_at"] > record["occurred_at"]


def test_client_event_id_is_kept(client: FlaskClient, auth: dict[str, str]) -> None:
    event_id = str(uuid.uuid4())
    body = client.post(
        "/api/v1/events/film_rating", json={**RATING, "event_id": event_id}, headers=auth
    ).json
    assert body is not None and body["event_id"] == event_id


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("0b8f5d4e-2c1a-4f3b-8e6d-9a7c5b3d1e20", "0b8f5d4e-2c1a-4f3b-8e6d-9a7c5b3d1e20"),
        ("order-42", None),
    ],
)
def test_idempotency_key_header_gives_the_same_event_id_on_retry(
    client: FlaskClient, auth: dict[str, str], key: str, expected: str | None
) -> None:
    headers = {**auth, "Idempotency-Key": key}
    first = client.post("/api/v1/events/film_rating", json=RATING, headers=headers).json
    retry = client.post("/api/v1/events/film_rating", json=RATING, headers=headers).json
    assert first is not None and retry is not None
    assert first["event_id"] == retry["event_id"]
    if expected is not None:
        assert first["event_id"] == expected


def test_unknown_event_type_returns_404_listing_the_known_ones(
    client: FlaskClient, auth: dict[str, str], contracts: list[Contract]
) -> None:
    response = client.post("/api/v1/events/film_ratings", json=RATING, headers=auth)
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["known_event_types"] == sorted(c.event_type for c in contracts)


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({**RATING, "mood": "happy"}, [{"path": "mood", "message": "unknown field"}]),
        ({**RATING, "user_id": USER}, [{"path": "user_id", "message": "is set by the server"}]),
        (
            {**RATING, "received_at": "2026-11-27T22:21:07Z"},
            [{"path": "received_at", "message": "is set by the server"}],
        ),
        (
            {**RATING, "score": "9", "context": {"app": 1, "app_version": "1"}},
            [
                {"path": "context.app", "message": "expected string, got integer"},
                {"path": "score", "message": "expected integer, got string"},
            ],
        ),
        ([RATING], [{"path": "", "message": "expected object, got array"}]),
    ],
    ids=["unknown field", "user_id", "received_at", "wrong types", "not an object"],
)
def test_payload_that_does_not_fit_returns_422_listing_each_field(
    client: FlaskClient,
    auth: dict[str, str],
    producer: FakeProducer,
    payload: Any,
    errors: list[dict[str, str]],
) -> None:
    response = client.post("/api/v1/events/film_rating", json=payload, headers=auth)
    assert response.status_code == 422
    assert response.json is not None and response.json["error"] == "invalid_event"
    assert sorted(response.json["errors"], key=lambda e: e["path"]) == errors
    assert producer.messages == []


BAD_BODIES = {
    "truncated json": (b'{"score": 9', "application/json", 400, "malformed_request"),
    "not utf-8": (b"\xff\xfe", "application/json", 400, "malformed_request"),
    "text/plain": (json.dumps(RATING).encode(), "text/plain", 415, "unsupported_media_type"),
    "no content type": (json.dumps(RATING).encode(), None, 415, "unsupported_media_type"),
    "over 1 MiB": (
        b'{"text": "' + b"x" * (1024 * 1024) + b'"}',
        "application/json",
        413,
        "payload_too_large",
    ),
    # Found by fuzzing: both were 500s.
    "regression: a lone surrogate": (
        json.dumps({**RATING, "context": {"app": "\ud800", "app_version": "1"}}).encode(),
        "application/json",
        400,
        "malformed_request",
    ),
    "regression: a lone surrogate in a key": (
        b'{"\\udfff": 1}',
        "application/json",
        400,
        "malformed_request",
    ),
    "regression: a 5000-digit integer": (
        b'{"score": ' + b"9" * 5000 + b"}",
        "application/json",
        400,
        "malformed_request",
    ),
}


@pytest.mark.parametrize("case", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_bodies_are_refused_with_a_json_error(
    client: FlaskClient, auth: dict[str, str], case: tuple[bytes, str | None, int, str]
) -> None:
    data, content_type, status, error = case
    headers = dict(auth)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.post("/api/v1/events/film_rating", data=data, headers=headers)
    assert response.status_code == status
    assert response.json is not None and response.json["error"] == error


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/api/v1/events/film_rating", 405),
        ("DELETE", "/healthz", 405),
    ],
)
def test_framework_errors_answer_json(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.json is not None and response.json["status"] == status


def test_a_json_content_type_with_parameters_is_accepted(
    client: FlaskClient, auth: dict[str, str], producer: FakeProducer
) -> None:
    headers = {**auth, "Content-Type": "Application/JSON; charset=utf-8"}
    response = client.post("/api/v1/events/film_rating", data=json.dumps(RATING), headers=headers)
    assert response.status_code == 202, response.json
    assert len(producer.messages) == 1


def test_a_chunked_body_without_content_length_is_read_whole(
    client: FlaskClient, auth: dict[str, str], producer: FakeProducer
) -> None:
    body = json.dumps(RATING).encode()
    response = client.post(
        "/api/v1/events/film_rating",
        input_stream=io.BytesIO(body),
        headers={**auth, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets it
    )
    assert response.status_code == 202, response.json
    assert len(producer.messages) == 1


def test_an_empty_body_is_a_400_that_says_so(client: FlaskClient, auth: dict[str, str]) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    response = client.post("/api/v1/events/film_rating", data=b"", headers=headers)
    assert response.status_code == 400
    assert response.json is not None and "empty" in response.json["message"]


@pytest.mark.parametrize("length", ["ten", "-5"])
def test_a_content_length_that_is_not_a_size_is_a_400(
    client: FlaskClient, auth: dict[str, str], producer: FakeProducer, length: str
) -> None:
    response = client.post(
        "/api/v1/events/film_rating",
        data=json.dumps(RATING),
        headers={**auth, "Content-Type": "application/json"},
        environ_overrides={"CONTENT_LENGTH": length},
    )
    assert response.status_code == 400
    assert response.json is not None and "Content-Length" in response.json["message"]
    assert producer.messages == []


@pytest.mark.parametrize(
    ("occurred_at", "message"),
    [
        ("2026-11-27 20:15:00Z", "expected RFC 3339 timestamp"),
        ("2026-W48-5T20:15:00Z", "expected RFC 3339 timestamp"),
        ("2026-11-27T20:15Z", "expected RFC 3339 timestamp"),
        ("2026-11-27T20:15:00", "has no timezone"),
        ("2016-12-31T23:59:60Z", "leap second"),
        (-62135596800001, "out of range"),
    ],
)
def test_regression_occurred_at_outside_rfc3339_or_years_1_to_9999_is_a_422(
    client: FlaskClient, auth: dict[str, str], occurred_at: object, message: str
) -> None:
    payload = {**RATING, "occurred_at": occurred_at}
    response = client.post("/api/v1/events/film_rating", json=payload, headers=auth)
    assert response.status_code == 422
    assert response.json is not None
    [error] = response.json["errors"]
    assert error["path"] == "occurred_at" and message in error["message"]


@pytest.mark.parametrize(
    "occurred_at",
    [0, "2026-11-27t20:15:00.123456789z", "0001-01-01T00:00:00+23:59", 253402300799999],
)
def test_occurred_at_takes_every_rfc3339_form_and_epoch_milliseconds(
    client: FlaskClient, auth: dict[str, str], occurred_at: object
) -> None:
    payload = {**RATING, "occurred_at": occurred_at}
    response = client.post("/api/v1/events/film_rating", json=payload, headers=auth)
    assert response.status_code == 202, response.json


@pytest.mark.parametrize(
    "film_id", ["{3f2b8c1e-7d4a-4e6b-9c1f-2a5d8e7b6c40}", "3f2b8c1e7d4a4e6b9c1f2a5d8e7b6c40"]
)
def test_regression_a_uuid_other_than_rfc4122_text_is_a_422(
    client: FlaskClient, auth: dict[str, str], film_id: str
) -> None:
    payload = {**RATING, "film_id": film_id}
    response = client.post("/api/v1/events/film_rating", json=payload, headers=auth)
    assert response.status_code == 422
