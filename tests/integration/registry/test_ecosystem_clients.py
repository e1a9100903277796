"""The real registry on real Kafka, driven by the clients the ecosystem uses: our own
client (held to the shared contract), confluent-kafka's SchemaRegistryClient,
AvroSerializer and AvroDeserializer, and ClickHouse's AvroConfluent format (chdb)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator

import pytest
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from registry.client.client import RegistryClient
from registry.client.models import Subject
from registry.client.protocol import SchemaRegistry
from registry.client.serdes import AvroSerializer as UgcSerializer
from tests.contract.registry_contract import RegistryContract

WATCH = json.dumps(
    {
        "type": "record",
        "name": "Watched",
        "namespace": "ugc.test",
        "fields": [
            {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "film", "type": "string"},
            {"name": "position_ms", "type": "long"},
            {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)


class TestRealRegistryContract(RegistryContract):
    @pytest.fixture
    def registry(self, registry_url: str) -> Iterator[SchemaRegistry]:
        with RegistryClient(registry_url) as client:
            yield client


def event(i: int) -> dict[str, object]:
    return {
        "event_id": str(uuid.UUID(int=i)),
        "film": f"film-{i}",
        "position_ms": i * 1000,
        "occurred_at": dt.datetime(2026, 11, 27, 12, 0, i % 60, tzinfo=dt.UTC),
        "note": None if i % 2 else f"note {i}",
    }


def consume_values(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex})
    consumer.assign([TopicPartition(topic, 0, 0)])
    values: list[bytes] = []
    try:
        for _ in range(100):
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                values.append(message.value())
            if len(values) == count:
                break
    finally:
        consumer.close()
    return values


def test_confluent_serializer_and_deserializer_round_trip_through_kafka(
    registry_url: str, kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("ugc.watched")
    client = SchemaRegistryClient({"url": registry_url})
    serializer = AvroSerializer(client, WATCH)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    sent = [event(i) for i in range(5)]
    for value in sent:
        context = SerializationContext(topic, MessageField.VALUE)
        producer.produce(topic, serializer(value, context), key=b"user")
    assert producer.flush(20) == 0
    registered = client.get_latest_version(f"{topic}-value")
    assert registered.version == 1
    deserializer = AvroDeserializer(client)
    received = [
        deserializer(raw, SerializationContext(topic, MessageField.VALUE))
        for raw in consume_values(kafka_bootstrap, topic, len(sent))
    ]
    assert received == [{**value, "event_id": uuid.UUID(str(value["event_id"]))} for value in sent]


def test_confluent_client_registers_looks_up_and_checks_compatibility(registry_url: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    subject = f"ns/{uuid.uuid4().hex}-value"
    schema_id = client.register_schema(subject, Schema(WATCH, "AVRO"))
    assert (
        client.get_schema(schema_id).schema_str == client.get_version(subject, 1).schema.schema_str
    )
    assert client.lookup_schema(subject, Schema(WATCH, "AVRO")).schema_id == schema_id
    assert subject in client.get_subjects()
    narrower = json.loads(WATCH)
    narrower["fields"].append({"name": "required", "type": "int"})
    assert client.test_compatibility(subject, Schema(json.dumps(narrower), "AVRO")) is False
    client.set_compatibility(subject, "NONE")
    assert client.get_compatibility(subject) == "NONE"
    assert client.delete_subject(subject) == [1]


def test_clickhouse_reads_confluent_framed_rows_through_the_registry(
    registry_url: str,
    clickhouse_client: Client,
    clickhouse_database: str,
    unique_name: Callable[[str], str],
) -> None:
    subject = Subject(unique_name("ugc.watched") + "-value")
    with RegistryClient(registry_url) as registry:
        registry.register(subject, WATCH)
        serializer = UgcSerializer(registry)
        frames = b"".join(
            serializer.serialize(subject.removesuffix("-value"), event(i)) for i in range(20)
        )
    table = f"{clickhouse_database}.watched"
    clickhouse_client.command(
        f"CREATE TABLE {table} (event_id UUID, film String, position_ms Int64, "
        "occurred_at DateTime64(3, 'UTC'), note Nullable(String)) ORDER BY event_id"
    )
    clickhouse_client.raw_insert(
        table,
        column_names=["event_id", "film", "position_ms", "occurred_at", "note"],
        insert_block=frames,
        fmt="AvroConfluent",
        settings={"format_avro_schema_registry_url": registry_url},
    )
    rows = clickhouse_client.query(
        f"SELECT count(), sum(position_ms), countIf(note IS NULL), min(event_id) FROM {table}"
    ).result_rows
    assert rows == [(20, sum(i * 1000 for i in range(20)), 10, uuid.UUID(int=0))]
