from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from contracts.loading import Contract
from tests.unit.services.api.conftest import FakeProducer
from tests.unit.services.api.test_events import RATING


def test_batch_of_every_event_type_is_answered_with_results_in_order(
    client: FlaskClient, auth: dict[str, str], contracts: list[Contract], producer: FakeProducer
) -> None:
    batch = [{"type": c.event_type, "event": c.example} for c in contracts]
    response = client.post("/api/v1/events", json=batch, headers=auth)
    assert response.status_code == 202, response.json
    assert response.json is not None and response.json["accepted"] == len(contracts)
    assert [r["topic"] for r in response.json["results"]] == [c.topic for c in contracts]
    assert [m.topic for m in producer.messages] == [c.topic for c in contracts]


def test_batch_with_one_bad_event_returns_422_by_index_and_produces_nothing(
    client: FlaskClient, auth: dict[str, str], producer: FakeProducer
) -> None:
    batch = [
        {"type": "film_rating", "event": RATING},
        {"type": "film_rating", "event": {**RATING, "score": "high"}},
        {"type": "no_such_type", "event": RATING},
        {"event": RATING, "extra": 1},
        "rating",
    ]
    response = client.post("/api/v1/events", json=batch, headers=auth)
    assert response.status_code == 422
    assert response.json is not None
    found = {(e["index"], e["path"]) for e in response.json["errors"]}
    assert found == {(1, "event.score"), (2, "type"), (3, "extra"), (3, "type"), (4, "")}
    assert producer.messages == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ([], 422),
        ({"type": "film_rating"}, 422),
        ([{"type": "film_rating", "event": RATING}] * 501, 413),
    ],
    ids=["empty", "not an array", "over 500 events"],
)
def test_batch_of_the_wrong_shape_or_size_is_refused(
    client: FlaskClient, auth: dict[str, str], producer: FakeProducer, body: object, status: int
) -> None:
    response = client.post("/api/v1/events", json=body, headers=auth)
    assert response.status_code == status
    assert producer.messages == []


def test_batch_idempotency_key_gives_each_event_a_stable_id(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    headers = {**auth, "Idempotency-Key": "upload-7"}
    batch = [{"type": "film_rating", "event": RATING}] * 2
    first = client.post("/api/v1/events", json=batch, headers=headers).json
    retry = client.post("/api/v1/events", json=batch, headers=headers).json
    assert first is not None and retry is not None
    ids = [r["event_id"] for r in first["results"]]
    assert ids == [r["event_id"] for r in retry["results"]]
    assert len(set(ids)) == 2
