"""Fixtures shared by every test layer: a real Kafka broker and a ClickHouse warehouse.

Both start for the session unless the environment names running ones:
`UGC_TEST_KAFKA_BOOTSTRAP=host:port` and `UGC_TEST_CLICKHOUSE_DSN=http://…` (or
`chdb:///abs/dir`). The warehouse is `ugc warehouse serve` in a subprocess, reached over
HTTP as every component reaches it (`clickhouse_dsn`, `clickhouse_client`);
`warehouse_client` runs a test twice, on chdb in this process and on the server. Tests
isolate themselves by unique topic and database names, never by restarting shared services.
"""

from __future__ import annotations

import gc
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from registry.server.app import create_app
from registry.server.election import ElectionConfig
from registry.server.kafka_store import KafkaStore
from registry.server.settings import RegistrySettings
from tests.support.warehouse import WarehouseProcess
from ugc.kafka.broker import LocalKafka
from ugc.process import free_port
from ugc.warehouse import connect, embedded_path
from ugc.warehouse.client import release_all


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a real broker: the one named by the environment, or our own."""
    named = os.environ.get("UGC_TEST_KAFKA_BOOTSTRAP")
    if named:
        yield named
        return
    broker = LocalKafka(tmp_path_factory.mktemp("kafka"))
    bootstrap = broker.start(free_port())
    try:
        yield bootstrap
    finally:
        # A client that only a reference cycle keeps alive would outlive the broker and print
        # "Connection refused" after pytest's summary: destroy such garbage while it runs.
        gc.collect()
        broker.stop()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Names unique to this test: unique_name("events") -> "events.<test>.<random>"."""
    test = _slug(request.node.name)

    def make(base: str) -> str:
        return f"{base}.{test}.{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture(scope="session")
def warehouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseProcess]:
    """Our own `ugc warehouse serve` (users: see tests.support.warehouse.USERS)."""
    server = WarehouseProcess(tmp_path_factory.mktemp("warehouse-server"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def clickhouse_dsn(request: pytest.FixtureRequest) -> str:
    """The warehouse every component uses: UGC_TEST_CLICKHOUSE_DSN, or our server's URL."""
    named = os.environ.get("UGC_TEST_CLICKHOUSE_DSN")
    if named:
        return named
    server: WarehouseProcess = request.getfixturevalue("warehouse_server")
    return server.url


@pytest.fixture(scope="session")
def clickhouse_client(clickhouse_dsn: str) -> Iterator[Client]:
    """A clickhouse-connect client on `clickhouse_dsn`."""
    client = connect(clickhouse_dsn, role="tests")
    yield client
    client.close()


@pytest.fixture(scope="session")
def embedded_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """chdb in this process (UGC_TEST_CLICKHOUSE_DSN if it is chdb:///…, else a fresh dir)."""
    named = os.environ.get("UGC_TEST_CLICKHOUSE_DSN", "")
    if embedded_path(named) is None:
        named = f"chdb://{tmp_path_factory.mktemp('warehouse') / 'clickhouse'}"
    yield connect(named, role="tests")
    release_all()


@pytest.fixture(params=["embedded", "server"])
def warehouse_client(request: pytest.FixtureRequest) -> Client:
    """The same test on chdb in process and on the warehouse over HTTP."""
    fixture = "embedded_client" if request.param == "embedded" else "clickhouse_client"
    client: Client = request.getfixturevalue(fixture)
    return client


def _database_name(request: pytest.FixtureRequest) -> str:
    return "t_" + re.sub(r"[^a-z0-9]", "_", _slug(request.node.name)) + "_" + uuid.uuid4().hex[:6]


@pytest.fixture
def clickhouse_database(clickhouse_client: Client, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of this test's own on `clickhouse_client`, dropped afterwards."""
    name = _database_name(request)
    clickhouse_client.command(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        clickhouse_client.command(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture
def warehouse_database(warehouse_client: Client, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of this test's own on `warehouse_client`, dropped afterwards."""
    name = _database_name(request)
    warehouse_client.command(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        warehouse_client.command(f"DROP DATABASE IF EXISTS {name}")


@dataclass
class RunningRegistry:
    """A registry app over a real KafkaStore, served by werkzeug in a thread."""

    url: str
    topic: str
    store: KafkaStore
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()
        self.store.close()


@pytest.fixture
def start_registry(
    kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> Iterator[Callable[..., RunningRegistry]]:
    """Start registries on a topic (a new one unless named); all are stopped afterwards."""
    running: list[RunningRegistry] = []

    def start(topic: str | None = None, port: int = 0, **settings: object) -> RunningRegistry:
        topic = topic or unique_name("_schemas")
        config = RegistrySettings(kafka_bootstrap=kafka_bootstrap, registry_topic=topic, **settings)
        apps: list[Flask] = []  # the app needs the store, the store the server's URL

        def app(environ: dict[str, Any], reply: Callable[..., Any]) -> Any:
            return apps[0](environ, reply)

        server = make_server("127.0.0.1", port, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        election = ElectionConfig(url=url, eligible=config.registry_leader_eligible)
        store = KafkaStore(kafka_bootstrap, topic, timeout=20.0, election=election)
        store.start()
        apps.append(create_app(config, store=store))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        registry = RunningRegistry(url, topic, store, server, thread)
        running.append(registry)
        return registry

    yield start
    for registry in running:
        if registry.thread.is_alive():
            registry.stop()
    # A write that lost a transactional race (two instances on one topic) leaves the fenced
    # producer in its exception's traceback frames, a reference cycle: collect it now, so
    # it disconnects instead of retrying a stopped broker until the process exits.
    gc.collect()


@pytest.fixture
def registry_url(start_registry: Callable[..., RunningRegistry]) -> str:
    return start_registry().url
