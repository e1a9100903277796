"""The console over the real Kafka broker and a real registry (tests/conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr

from registry.client.client import RegistryClient
from registry.client.models import Subject
from services.console.app import create_app
from services.console.cluster import KafkaCluster
from services.console.settings import ConsoleSettings

RATING = {
    "type": "record",
    "name": "Rating",
    "namespace": "console.test",
    "fields": [
        {"name": "event_id", "type": "string"},
        {"name": "score", "type": "int"},
        {"name": "comment", "type": ["null", "string"], "default": None},
    ],
}


@pytest.fixture
def make_topic(kafka_bootstrap: str, unique_name: Callable[[str], str]) -> Callable[..., str]:
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})

    def make(partitions: int = 1, **configs: str) -> str:
        name = unique_name("console")
        future = admin.create_topics([NewTopic(name, partitions, 1, config=configs)])[name]
        future.result(timeout=30)
        return name

    return make


@pytest.fixture
def produce(kafka_bootstrap: str) -> Iterator[Callable[..., None]]:
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "message.max.bytes": 8_000_000})

    def send(
        topic: str, values: list[bytes | None], key: bytes | None = None, **options: Any
    ) -> None:
        for value in values:
            producer.produce(topic, value=value, key=key, **options)
        assert producer.flush(30) == 0

    yield send
    producer.flush(10)


@pytest.fixture
def console_app(
    kafka_bootstrap: str, registry_url: str, unique_name: Callable[[str], str]
) -> Iterator[Flask]:
    settings = ConsoleSettings(
        kafka_bootstrap=kafka_bootstrap,
        registry_url=registry_url,
        console_password=SecretStr("secret"),
        console_dead_letter_topic=unique_name("dead-letters"),
        console_kafka_timeout=20.0,
    )
    app = create_app(settings)
    yield app
    cluster = app.extensions["ugc.console"].cluster
    assert isinstance(cluster, KafkaCluster)
    cluster.close()


@pytest.fixture
def client(console_app: Flask) -> FlaskClient:
    return console_app.test_client()


@pytest.fixture
def rating_subject(registry_url: str, unique_name: Callable[[str], str]) -> Subject:
    subject = Subject(unique_name("rating") + "-value")
    with RegistryClient(registry_url) as registry:
        registry.register(subject, json.dumps(RATING))
    return subject


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def log_in(client: FlaskClient) -> str:
    token = csrf_of(client)
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "admin", "password": "secret"}
    )
    assert answer.status_code == 302
    return csrf_of(client, "/topics")
