"""Fixtures for the ETL on real Kafka, the real registry and the test warehouse: a producer
of Confluent-framed events. The ETL itself (`run_etl`, `event_type`) comes from
tests/integration/conftest.py, the wait helpers from tests/support/etl.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka import Producer


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[Producer]:
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all", "linger.ms": 5})
    yield producer
    producer.flush(10)
    producer.close()
