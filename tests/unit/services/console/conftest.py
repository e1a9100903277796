"""The console's app over fakes: an in-memory cluster and registry, and a warehouse that
answers from a dict."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr

from registry.client.fake import InMemoryRegistry
from registry.client.models import Subject
from registry.client.serdes import AvroSerializer
from services.console.app import create_app
from services.console.settings import ConsoleSettings
from tests.unit.services.console.fakes import FakeCluster

RATING_V1 = {
    "type": "record",
    "name": "Rating",
    "namespace": "test",
    "fields": [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "score", "type": "int"},
        {"name": "comment", "type": ["null", "string"], "default": None},
    ],
}
RATING_V2 = {
    **RATING_V1,
    "fields": [*RATING_V1["fields"], {"name": "source", "type": "string", "default": "web"}],
}
TOPIC = "ugc.rating"
SUBJECT = Subject("ugc.rating-value")


class FakeWarehouse:
    def __init__(self) -> None:
        self.queries: list[tuple[str, dict[str, Any]]] = []
        self.answers: list[tuple[str, list[tuple[Any, ...]]]] = []

    def rows(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        self.queries.append((sql, parameters))
        for pattern, rows in self.answers:
            if re.search(pattern, sql):
                return rows
        return []


@pytest.fixture
def registry() -> InMemoryRegistry:
    registry = InMemoryRegistry()
    registry.register(SUBJECT, json.dumps(RATING_V1))
    return registry


@pytest.fixture
def cluster(registry: InMemoryRegistry) -> FakeCluster:
    cluster = FakeCluster()
    cluster.add_topic(TOPIC)
    serializer = AvroSerializer(registry)
    for score in range(1, 11):
        value = serializer.serialize(
            TOPIC, {"event_id": f"00000000-0000-4000-8000-{score:012d}", "score": score}
        )
        cluster.produce(TOPIC, value, key=f"user-{score}".encode())
    return cluster


@pytest.fixture
def warehouse() -> FakeWarehouse:
    return FakeWarehouse()


def make_app(
    cluster: FakeCluster, registry: InMemoryRegistry, warehouse: FakeWarehouse, **settings: Any
) -> Flask:
    options: dict[str, Any] = {"console_password": SecretStr("secret"), **settings}
    app = create_app(
        ConsoleSettings(**options), cluster=cluster, registry=registry, warehouse=warehouse
    )
    app.testing = True
    return app


@pytest.fixture
def app(cluster: FakeCluster, registry: InMemoryRegistry, warehouse: FakeWarehouse) -> Flask:
    return make_app(cluster, registry, warehouse)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_of(client: FlaskClient, path: str = "/topics") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def log_in(client: FlaskClient, password: str = "secret") -> None:
    token = csrf_of(client, "/login")
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "admin", "password": password}
    )
    assert answer.status_code == 302
