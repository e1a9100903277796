"""The whole HTTP API suite again, with the registry's state in a real Kafka topic: every
endpoint, status and error code behaves the same on the production store."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from registry.server.kafka_store import KafkaStore
from tests.unit.registry.server.test_app import *  # noqa: F403  (the suite itself)


@pytest.fixture
def store(  # type: ignore[no-redef]
    kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> Iterator[KafkaStore]:
    kafka_store = KafkaStore(kafka_bootstrap, unique_name("_schemas"), timeout=20.0)
    kafka_store.start()
    try:
        yield kafka_store
    finally:
        kafka_store.close()
