"""A warehouse outage blocks the ETL without a dead letter and without loss: while the
ClickHouse server is down the ETL retries, commits nothing more, and its lag metric shows
the backlog; once the server is back the backlog loads, each event once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from confluent_kafka import Producer

from registry.client.client import RegistryClient
from registry.client.models import Subject
from registry.client.serdes import AvroSerializer
from tests.support.etl import RunningEtl, count_rows, metric_total, wait_for
from tests.support.events import record, schema
from tests.support.warehouse import WarehouseProcess
from ugc.warehouse import connect


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[list[WarehouseProcess]]:
    """A warehouse server of this test's own (the shared one must stay up); the list holds
    each incarnation, so a restart is appended and every one is stopped at the end."""
    servers = [WarehouseProcess(tmp_path / "clickhouse")]
    yield servers
    for server in servers:
        server.stop()


def _lag(etl: RunningEtl, topic: str) -> float:
    """The ETL's ugc_etl_consumer_lag for partition 0 of `topic` (-1 before a report)."""
    for family in etl.process.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "ugc_etl_consumer_lag" and sample.labels["topic"] == topic:
                return sample.value
    return -1.0


def test_a_warehouse_outage_blocks_and_retries_without_dead_letters_or_loss(
    registry_url: str,
    run_etl: Callable[..., RunningEtl],
    producer: Producer,
    warehouse: list[WarehouseProcess],
    event_type: str,
) -> None:
    server = warehouse[0]
    topic, subject = f"ugc.{event_type}", Subject(f"ugc.{event_type}-value")
    with RegistryClient(registry_url) as registry:
        registry.register(subject, schema())
        serializer = AvroSerializer(registry, schema=schema(), use_latest=False)
        values = [serializer.serialize(topic, record(n)) for n in range(30)]

    def produce(chunk: list[bytes]) -> None:
        for value in chunk:
            producer.produce(topic, value=value, partition=0)
        assert producer.flush(10) == 0

    produce(values[:10])
    etl = run_etl(registry_url, rf"^ugc\.{event_type}$", clickhouse_dsn=server.url,
                  etl_database="ugc")  # fmt: skip
    view = f"ugc.{event_type}"
    client: Client = connect(server.url, role="tests")
    try:
        wait_for(lambda: count_rows(client, view), 10, etl=etl)
        wait_for(lambda: _lag(etl, topic), 0.0, timeout=30, etl=etl)
    finally:
        client.close()

    server.stop()  # the outage: connections refused from now on
    produce(values[10:])
    wait_for(lambda: metric_total(etl, "ugc_etl_retries_total") >= 2, True, etl=etl)
    # Nothing past the first ten is committed: librdkafka's lag report (every 5 s) says so.
    wait_for(lambda: _lag(etl, topic), 20.0, timeout=30, etl=etl)
    assert metric_total(etl, "ugc_etl_dead_letters_total") == 0

    warehouse.append(WarehouseProcess(server.data_dir, port=server.port))  # same DSN, same data
    client = connect(server.url, role="tests")
    try:
        wait_for(lambda: count_rows(client, view), 30, timeout=60, etl=etl)
        wait_for(lambda: _lag(etl, topic), 0.0, timeout=30, etl=etl)
        counts = client.query(f"SELECT count(), uniqExact(event_id) FROM ugc.{event_type}_v1")
        assert counts.result_rows == [(30, 30)]
    finally:
        client.close()
    assert metric_total(etl, "ugc_etl_dead_letters_total") == 0
    assert not etl.errors
