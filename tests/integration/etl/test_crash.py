"""Crash tests: `ugc etl run` killed with SIGKILL at random moments (and the warehouse
server once) while events arrive; after restarts every table holds each event exactly once
(`count() = uniqExact(event_id) = N`). The same with two ETL processes, one killed. And an
event Kafka holds twice (a client retry with the same event_id) counts once in the view."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from registry.client.client import RegistryClient
from registry.client.models import Subject
from registry.client.serdes import AvroSerializer
from tests.conftest import RunningRegistry
from tests.support.etl import EtlCommand, RunningEtl, count_rows, wait_for
from tests.support.events import record, schema
from ugc.process import free_port
from ugc.warehouse import connect

EVENTS = 12_000
CHUNKS = 6


class Server:
    """`ugc warehouse serve` on a fixed port and data directory, killable and restartable."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.port = data_dir, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "ugc", "warehouse", "serve", "--port", str(self.port),
                "--data-dir", str(self.data_dir)]  # fmt: skip
        with (self.data_dir.parent / "warehouse.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the warehouse server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    warehouse = Server(tmp_path / "clickhouse")
    warehouse.start()
    yield warehouse
    if warehouse.process is not None and warehouse.process.poll() is None:
        warehouse.process.terminate()
        warehouse.process.wait(30)


@pytest.fixture
def setup(
    kafka_bootstrap: str, start_registry: Callable[..., RunningRegistry], event_type: str
) -> Iterator[tuple[str, AvroSerializer]]:
    registry = start_registry()
    topic = f"ugc.{event_type}"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    with RegistryClient(registry.url) as client:
        client.register(Subject(f"{topic}-value"), schema())
        yield registry.url, AvroSerializer(client, schema=schema(), use_latest=False)


def _env(bootstrap: str, registry_url: str, server: Server, event_type: str) -> dict[str, str]:
    return {
        **os.environ,
        "UGC_KAFKA_BOOTSTRAP": bootstrap,
        "UGC_REGISTRY_URL": registry_url,
        "UGC_CLICKHOUSE_DSN": server.url,
        "UGC_ETL_GROUP_ID": f"crash-{event_type}",
        "UGC_ETL_TOPIC_PATTERN": rf"^ugc\.{event_type}$",
        "UGC_ETL_DEAD_LETTER_TOPIC": f"dlq.crash.{event_type}",
        "UGC_ETL_BATCH_ROWS": "1500",
        "UGC_ETL_BATCH_SECONDS": "0.2",
        "UGC_ETL_SESSION_TIMEOUT_MS": "6000",
        "UGC_ETL_RETRY_MAX_SECONDS": "2",
    }


def _produce(producer: Producer, topic: str, serializer: AvroSerializer, numbers: range) -> None:
    for n in numbers:
        value = record(n)
        producer.produce(topic, value=serializer.serialize(topic, value),
                         key=value["user_id"].encode())  # fmt: skip
    assert producer.flush(30) == 0


def _oracle(client: Client, event_type: str) -> list[tuple[str, int, int]]:
    """(table, count(), uniqExact(event_id)) for every versioned table of the event type."""
    tables = client.query(
        "SELECT name FROM system.tables WHERE database = 'ugc' AND match(name, {p:String})",
        parameters={"p": f"^{event_type}_v[0-9]+$"},
    ).result_rows
    return [
        (name, *client.query(f"SELECT count(), uniqExact(event_id) FROM ugc.{name}").result_rows[0])
        for (name,) in tables
    ]


def test_sigkill_of_the_etl_and_the_warehouse_loses_and_duplicates_nothing(
    kafka_bootstrap: str, setup: tuple[str, AvroSerializer], server: Server,
    producer: Producer, event_type: str, tmp_path: Path,
) -> None:  # fmt: skip
    registry_url, serializer = setup
    topic = f"ugc.{event_type}"
    etl = EtlCommand(_env(kafka_bootstrap, registry_url, server, event_type), tmp_path / "etl.log")
    rng = random.Random(20261202)
    per_chunk = EVENTS // CHUNKS
    etl.start()
    try:
        for chunk in range(CHUNKS):
            _produce(producer, topic, serializer, range(chunk * per_chunk, (chunk + 1) * per_chunk))
            time.sleep(rng.uniform(0.5, 3.0))
            if chunk == 2:
                server.kill()  # the ETL keeps running: it must block and retry
                time.sleep(rng.uniform(0.5, 2.0))
                server.start()
            else:
                etl.kill()
                etl.start()
        client = connect(server.url, role="crash-test")
        view = f"ugc.{event_type}"
        wait_for(lambda: count_rows(client, view), EVENTS, timeout=240)
        wait_for(lambda: sum(c for _, c, _ in _oracle(client, event_type)), EVENTS, timeout=30)
        assert _oracle(client, event_type) == [(f"{event_type}_v1", EVENTS, EVENTS)]
        assert client.query(f"SELECT count() FROM {view}").result_rows == [(EVENTS,)]
    finally:
        etl.stop()


def test_two_etl_processes_share_the_load_and_one_dying_loses_nothing(
    kafka_bootstrap: str, setup: tuple[str, AvroSerializer], server: Server,
    producer: Producer, event_type: str, tmp_path: Path,
) -> None:  # fmt: skip
    registry_url, serializer = setup
    topic = f"ugc.{event_type}"
    env = _env(kafka_bootstrap, registry_url, server, event_type)
    first = EtlCommand(env, tmp_path / "etl-1.log")
    second = EtlCommand(env, tmp_path / "etl-2.log")
    first.start()
    second.start()
    try:
        _produce(producer, topic, serializer, range(EVENTS // 2))
        time.sleep(2.0)
        first.kill()
        _produce(producer, topic, serializer, range(EVENTS // 2, EVENTS))
        client = connect(server.url, role="crash-test")
        wait_for(lambda: count_rows(client, f"ugc.{event_type}"), EVENTS, timeout=240)
        assert _oracle(client, event_type) == [(f"{event_type}_v1", EVENTS, EVENTS)]
        assert second.stop() == 0
    finally:
        first.stop()
        second.stop()


def test_an_event_kafka_holds_twice_counts_once_in_the_view(
    registry_url: str, run_etl: Callable[..., RunningEtl], producer: Producer,
    clickhouse_client: Client, clickhouse_database: str, event_type: str,
) -> None:  # fmt: skip
    topic = f"ugc.{event_type}"
    with RegistryClient(registry_url) as registry:
        registry.register(Subject(f"{topic}-value"), schema())
        serializer = AvroSerializer(registry, schema=schema(), use_latest=False)
        events = [record(n) for n in range(50)]
        for value in [*events, *events[:20]]:  # 20 client retries: same event_id, Kafka twice
            producer.produce(topic, value=serializer.serialize(topic, value), partition=0)
    assert producer.flush(10) == 0
    etl = run_etl(registry_url, rf"^ugc\.{event_type}$")
    # All 70 messages loaded (a background merge may already have collapsed duplicates).
    wait_for(lambda: etl.process.loop.loaded, 70, etl=etl)
    view = f"{clickhouse_database}.{event_type}"
    assert clickhouse_client.query(
        f"SELECT count(), uniqExact(event_id) FROM {view}"
    ).result_rows == [(50, 50)]
