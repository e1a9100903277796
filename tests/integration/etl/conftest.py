"""Fixtures for the ETL on real Kafka, the real registry and the test warehouse: an ETL
loop run in this process (its own consumer group, topics, dead-letter topic and database),
a producer of Confluent-framed events, and a poll-until helper."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from confluent_kafka import Producer

from etl.runner import EtlProcess, build
from etl.settings import EtlSettings


@dataclass
class RunningEtl:
    settings: EtlSettings
    process: EtlProcess
    thread: threading.Thread
    errors: list[BaseException]

    def stop(self) -> None:
        self.process.loop.stop()
        self.thread.join(30)
        self.process.close()


@pytest.fixture
def event_type() -> str:
    """A unique snake_case event type: its topic is ugc.<event_type>."""
    return f"e{uuid.uuid4().hex[:10]}_rating"


@pytest.fixture
def run_etl(
    kafka_bootstrap: str,
    clickhouse_client: Client,
    clickhouse_dsn: str,
    clickhouse_database: str,
) -> Iterator[Callable[..., RunningEtl]]:
    running: list[RunningEtl] = []
    group = f"etl-test-{uuid.uuid4().hex[:8]}"

    def start(registry_url: str, pattern: str, **overrides: Any) -> RunningEtl:
        defaults: dict[str, Any] = {
            "kafka_bootstrap": kafka_bootstrap,
            "registry_url": registry_url,
            "clickhouse_dsn": clickhouse_dsn,
            "etl_database": clickhouse_database,
            "etl_group_id": group,
            "etl_topic_pattern": pattern,
            "etl_dead_letter_topic": f"dlq.{group}",
            "etl_batch_seconds": 0.3,
            "etl_metadata_refresh_ms": 1000,
            "etl_session_timeout_ms": 6000,
            "etl_retry_max_seconds": 2.0,
        }
        settings = EtlSettings(**{**defaults, **overrides})
        process = build(settings)  # its own client: the test queries concurrently
        errors: list[BaseException] = []

        def target() -> None:
            try:
                process.loop.run()
            except BaseException as exc:
                errors.append(exc)
                raise

        thread = threading.Thread(target=target, daemon=True, name="etl-under-test")
        thread.start()
        etl = RunningEtl(settings, process, thread, errors)
        running.append(etl)
        return etl

    yield start
    for etl in running:
        etl.stop()


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[Producer]:
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all", "linger.ms": 5})
    yield producer
    producer.flush(10)
    producer.close()


def wait_for(
    probe: Callable[[], Any], expected: Any, *, timeout: float = 60.0, etl: RunningEtl | None = None
) -> Any:
    """Poll `probe()` until it returns `expected`; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    value = probe()
    while value != expected:
        if etl is not None and etl.errors:
            raise AssertionError(f"the ETL died: {etl.errors[0]!r}") from etl.errors[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f}s: last {value!r}, wanted {expected!r}")
        time.sleep(0.2)
        value = probe()
    return value


def count_rows(client: Client, table: str) -> int:
    """Rows in `table` (a view reads deduplicated); 0 while it does not exist yet."""
    database, name = table.split(".", 1)
    exists = client.command(
        "SELECT count() FROM system.tables WHERE database = {d:String} AND name = {n:String}",
        parameters={"d": database, "n": name},
    )
    return int(client.command(f"SELECT count() FROM {table}")) if int(exists) else 0


def metric_total(etl: RunningEtl, name: str) -> float:
    """The sum of a metric's samples named `name` across its labels, in the ETL's registry."""
    return sum(
        sample.value
        for family in etl.process.metrics.registry.collect()
        for sample in family.samples
        if sample.name == name
    )
