"""The pipeline page's warehouse queries on tables the real ETL created: the ETL loop (the
code `ugc etl run` runs) loads one event type from real Kafka into a database of the
session's warehouse server, through a compatible writer and a breaking one (so `_v1`,
`_v2`, the view over both and the ETL's schema id -> table map all exist), and the console
reads them through UGC_CLICKHOUSE_DSN as it does in the stack. A change in how the ETL lays
out its tables that the console does not follow fails here."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from confluent_kafka import Producer
from flask.testing import FlaskClient
from pydantic import SecretStr

from registry.client.client import RegistryClient
from registry.client.fake import InMemoryRegistry
from registry.client.models import CompatibilityLevel, SchemaId, Subject
from registry.client.serdes import AvroSerializer
from services.console.app import create_app
from services.console.decoding import MessageDecoder
from services.console.pipeline import Pipeline
from services.console.settings import ConsoleSettings
from tests.support.etl import RunningEtl, count_rows, wait_for
from tests.support.events import NOW, record, schema
from tests.unit.services.console.fakes import FakeCluster


@dataclass(frozen=True)
class Loaded:
    """What the ETL loaded: offsets 0-2 written by v1 (score int), 3-4 by a breaking v2
    (score string); offset 4 repeats offset 0's event id (a client retry after the upgrade)."""

    event_type: str
    topic: str
    database: str
    v1: SchemaId
    v2: SchemaId
    event_ids: list[str]  # by offset
    started: datetime.datetime

    @property
    def view(self) -> str:
        return f"{self.database}.{self.event_type}"


def _occurred(n: int) -> datetime.datetime:
    return NOW + datetime.timedelta(minutes=n)


def _messages(v1: str, v2: str) -> list[tuple[str, dict[str, Any]]]:
    first = [(v1, record(n, occurred_at=_occurred(n))) for n in range(3)]
    retried = {**first[0][1], "score": "0 again"}
    return [*first, (v2, record("four", occurred_at=_occurred(3))), (v2, retried)]


@pytest.fixture
def loaded(
    registry_url: str,
    run_etl: Callable[..., RunningEtl],
    kafka_bootstrap: str,
    clickhouse_client: Client,
    clickhouse_database: str,
    event_type: str,
) -> Loaded:
    topic, subject = f"ugc.{event_type}", Subject(f"ugc.{event_type}-value")
    v1_text, v2_text = schema(), schema(score="string")
    started = datetime.datetime.now(datetime.UTC)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all"})
    with RegistryClient(registry_url) as registry:
        v1 = registry.register(subject, v1_text)
        registry.set_compatibility(CompatibilityLevel.NONE, subject)
        v2 = registry.register(subject, v2_text)
        messages = _messages(v1_text, v2_text)
        for text, value in messages:
            serializer = AvroSerializer(registry, schema=text, use_latest=False)
            producer.produce(topic, value=serializer.serialize(topic, value), partition=0)
    assert producer.flush(30) == 0
    etl = run_etl(registry_url, rf"^ugc\.{event_type}$")
    wait_for(lambda: etl.process.loop.loaded, len(messages), etl=etl)
    loaded = Loaded(
        event_type,
        topic,
        clickhouse_database,
        v1,
        v2,
        [value["event_id"] for _, value in messages],
        started,
    )
    wait_for(lambda: count_rows(clickhouse_client, loaded.view), len(messages), etl=etl)
    return loaded


def _pipeline(dsn: str, database: str) -> Pipeline:
    settings = ConsoleSettings(
        clickhouse_dsn=dsn, console_warehouse_database=database, console_password=SecretStr("x")
    )
    cluster = FakeCluster()  # only the warehouse is asked here
    return Pipeline(settings, cluster, MessageDecoder(InMemoryRegistry()), None)


def test_rows_and_freshness_come_from_the_view_over_the_etls_versions(
    loaded: Loaded, clickhouse_client: Client, clickhouse_dsn: str
) -> None:
    (fresh,) = _pipeline(clickhouse_dsn, loaded.database).freshness()
    assert (fresh.event_type, fresh.view) == (loaded.event_type, loaded.view)
    assert fresh.tables == (f"{loaded.event_type}_v1", f"{loaded.event_type}_v2")
    # The retry landed in another version: the view counts it as a row, not as an event.
    assert (fresh.rows, fresh.events) == (5, 4)
    assert fresh.last_occurred.replace(tzinfo=datetime.UTC) == _occurred(3)
    ((newest_load,),) = clickhouse_client.query(
        f"SELECT max(_loaded_at) FROM {loaded.database}.{loaded.event_type}_v2"
    ).result_rows
    assert fresh.last_loaded == newest_load
    loaded_at = fresh.last_loaded.replace(tzinfo=datetime.UTC)
    assert loaded.started - datetime.timedelta(seconds=1) <= loaded_at
    assert loaded_at <= datetime.datetime.now(datetime.UTC)


def test_an_event_id_finds_every_row_it_became_in_each_version(
    loaded: Loaded, clickhouse_dsn: str
) -> None:
    pipeline = _pipeline(clickhouse_dsn, loaded.database)
    (landing,) = pipeline.find_event(loaded.event_ids[3])
    assert (landing.table, landing.topic, landing.partition, landing.offset) == (
        f"{loaded.event_type}_v2",
        loaded.topic,
        0,
        3,
    )
    assert (landing.schema_id, landing.event_id) == (loaded.v2, loaded.event_ids[3])
    assert '"score": "four"' in landing.row and '"context.app": "web-app"' in landing.row
    retried = pipeline.find_event(loaded.event_ids[0])
    assert sorted((x.table, x.offset, x.schema_id) for x in retried) == [
        (f"{loaded.event_type}_v1", 0, loaded.v1),
        (f"{loaded.event_type}_v2", 4, loaded.v2),
    ]
    assert pipeline.find_event(str(uuid.uuid4())) == []
    assert pipeline.find_event("x' OR 1=1 --") == []


def test_a_kafka_offset_finds_the_table_its_schema_id_routed_it_to(
    loaded: Loaded, clickhouse_dsn: str
) -> None:
    pipeline = _pipeline(clickhouse_dsn, loaded.database)
    for offset, table, schema_id in [(2, "_v1", loaded.v1), (3, "_v2", loaded.v2)]:
        (landing,) = pipeline.find_offset(loaded.topic, 0, offset)
        assert (landing.table, landing.schema_id) == (loaded.event_type + table, schema_id)
        assert landing.event_id == loaded.event_ids[offset]
    assert pipeline.find_offset(loaded.topic, 0, 5) == []
    assert pipeline.find_offset(loaded.topic, 1, 0) == []


def test_the_etls_schema_to_table_decisions_are_listed_with_their_reasons(
    loaded: Loaded, clickhouse_dsn: str
) -> None:
    first, second = _pipeline(clickhouse_dsn, loaded.database).schema_map()
    assert (first.event_type, first.schema_id, first.table, first.version) == (
        loaded.event_type,
        loaded.v1,
        f"{loaded.event_type}_v1",
        1,
    )
    assert (first.first_partition, first.first_offset, first.reasons) == (0, 0, ())
    assert (second.schema_id, second.table, second.version) == (
        loaded.v2,
        f"{loaded.event_type}_v2",
        2,
    )
    assert (second.first_partition, second.first_offset) == (0, 3)
    (reason,) = second.reasons
    assert "score" in reason


def test_the_pipeline_page_shows_the_etls_tables_and_finds_an_offset(
    loaded: Loaded, kafka_bootstrap: str, registry_url: str, clickhouse_dsn: str
) -> None:
    settings = ConsoleSettings(
        kafka_bootstrap=kafka_bootstrap,
        registry_url=registry_url,
        clickhouse_dsn=clickhouse_dsn,
        console_warehouse_database=loaded.database,
        console_kafka_timeout=20.0,
    )
    app = create_app(settings)
    try:
        client: FlaskClient = app.test_client()
        page = client.get("/pipeline").get_data(as_text=True)
        assert f"<td>{loaded.view}</td>" in page
        assert f"{loaded.event_type}_v1, {loaded.event_type}_v2" in page
        assert "score" in page.split('id="schema-map"')[1]
        found = client.get(f"/pipeline/find?topic={loaded.topic}&partition=0&offset=4")
        assert found.status_code == 200
        text = found.get_data(as_text=True)
        assert f"<td>{loaded.event_type}_v2</td><td>{loaded.event_ids[0]}</td>" in text
    finally:
        app.extensions["ugc.console"].cluster.close()
