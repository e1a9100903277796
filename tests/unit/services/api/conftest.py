"""Fixtures for the ingest API's unit tests: the in-memory registry holding the contracts of
`schemas/`, a fake producer behind the real `EventProducer` protocol, and a client."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr

from contracts.loading import Contract, load_contracts
from registry.client.fake import InMemoryRegistry
from services.api.app import create_app
from services.api.auth import mint_token
from services.api.errors import ApiError
from services.api.producer import Delivery, OutgoingMessage
from services.api.settings import ApiSettings

SCHEMAS = Path(__file__).resolve().parents[4] / "schemas"
SECRET = "unit-test-secret-of-at-least-32-bytes"
USER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


class FakeProducer:
    """Stores messages in memory with increasing offsets, or fails with `failure`."""

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []
        self.failure: ApiError | None = None
        self._lock = threading.Lock()

    def send(self, messages: Sequence[OutgoingMessage]) -> list[Delivery]:
        if self.failure is not None:
            raise self.failure
        with self._lock:
            deliveries = []
            for message in messages:
                offset = sum(1 for m in self.messages if m.topic == message.topic)
                self.messages.append(message)
                deliveries.append(Delivery(message.topic, 0, offset))
            return deliveries

    def ping(self, timeout: float) -> None:
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def contracts() -> list[Contract]:
    return load_contracts(SCHEMAS)


@pytest.fixture
def registry(contracts: list[Contract]) -> InMemoryRegistry:
    fake = InMemoryRegistry()
    for contract in contracts:
        fake.register(contract.subject, contract.schema)
    return fake


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer()


@pytest.fixture
def settings() -> ApiSettings:
    return ApiSettings(
        api_jwt_secret=SecretStr(SECRET),
        api_schemas_dir=SCHEMAS,
        api_rate_limit=0,
        api_catalog_ttl=0.0,
    )


@pytest.fixture
def make_app(
    registry: InMemoryRegistry, producer: FakeProducer, settings: ApiSettings
) -> Callable[..., Flask]:
    def make(**overrides: object) -> Flask:
        return create_app(
            settings.model_copy(update=overrides), producer=producer, registry=registry
        )

    return make


@pytest.fixture
def client(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app().test_client()


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(USER, SECRET)}"}


def token_for(user: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(user or str(uuid.uuid4()), SECRET)}"}
