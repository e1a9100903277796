from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from contracts.loading import Contract
from registry.client.errors import RegistryUnavailableError
from registry.client.fake import InMemoryRegistry
from registry.client.models import Subject
from services.api.app import create_app
from services.api.errors import ApiError, KafkaUnavailableError, QueueFullError
from services.api.settings import ApiSettings
from tests.unit.services.api.conftest import FakeProducer
from tests.unit.services.api.test_events import RATING


class FlakyRegistry(InMemoryRegistry):
    """The in-memory registry, unreachable while `down` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def list_subjects(self, prefix: str | None = None, *, deleted: bool = False) -> list[Subject]:
        if self.down:
            raise RegistryUnavailableError("connection refused")
        return super().list_subjects(prefix, deleted=deleted)


@pytest.mark.parametrize(
    "failure",
    [KafkaUnavailableError("Kafka: all brokers down", 2), QueueFullError("queue full", 2)],
    ids=["kafka down", "queue full"],
)
@pytest.mark.parametrize("path", ["/api/v1/events/film_rating", "/api/v1/events"])
def test_producer_unavailability_returns_503_with_retry_after_never_202(
    client: FlaskClient, auth: dict[str, str], producer: FakeProducer, failure: ApiError, path: str
) -> None:
    producer.failure = failure
    body = RATING if path.endswith("film_rating") else [{"type": "film_rating", "event": RATING}]
    response = client.post(path, json=body, headers=auth)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.json is not None and response.json["error"] in (
        "kafka_unavailable",
        "queue_full",
    )


@pytest.fixture
def flaky_app(
    settings: ApiSettings, producer: FakeProducer, contracts: list[Contract]
) -> Callable[..., tuple[Flask, FlakyRegistry]]:
    def make(**overrides: object) -> tuple[Flask, FlakyRegistry]:
        registry = FlakyRegistry()
        for contract in contracts:
            registry.register(contract.subject, contract.schema)
        config = settings.model_copy(update=overrides)
        return create_app(config, producer=producer, registry=registry), registry

    return make


def test_registry_down_before_any_schema_is_known_returns_503(
    flaky_app: Callable[..., tuple[Flask, FlakyRegistry]], auth: dict[str, str]
) -> None:
    app, registry = flaky_app()
    registry.down = True
    response = app.test_client().post("/api/v1/events/film_rating", json=RATING, headers=auth)
    assert response.status_code == 503
    assert response.json is not None and response.json["error"] == "registry_unavailable"
    assert "Retry-After" in response.headers


@pytest.mark.parametrize(("max_stale", "status"), [(300.0, 202), (0.0, 503)])
def test_registry_down_serves_cached_schemas_only_while_not_too_stale(
    flaky_app: Callable[..., tuple[Flask, FlakyRegistry]],
    auth: dict[str, str],
    max_stale: float,
    status: int,
) -> None:
    app, registry = flaky_app(api_catalog_max_stale=max_stale)
    client = app.test_client()
    assert client.post("/api/v1/events/film_rating", json=RATING, headers=auth).status_code == 202
    registry.down = True
    assert (
        client.post("/api/v1/events/film_rating", json=RATING, headers=auth).status_code == status
    )


def test_readyz_reports_each_dependency(
    make_app: Callable[..., Flask], producer: FakeProducer
) -> None:
    client = make_app().test_client()
    assert client.get("/readyz").status_code == 200
    producer.failure = KafkaUnavailableError("Kafka: all brokers down")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["checks"] == {"kafka": "Kafka: all brokers down", "registry": "ok"}
    assert client.get("/healthz").status_code == 200
