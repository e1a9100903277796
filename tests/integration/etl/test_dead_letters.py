"""Poison messages go to the dead-letter topic, one record each, with the reason; `ugc dlq
replay` loads them after a fix. A registry outage dead-letters nothing and loses nothing."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from typing import Any

import fastavro
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client
from confluent_kafka import Producer

from registry.client import wire
from registry.client.client import RegistryClient
from registry.client.models import SchemaId, Subject
from registry.client.serdes import AvroSerializer
from tests.conftest import RunningRegistry
from tests.support.etl import RunningEtl, count_rows, metric_total, wait_for
from tests.support.events import record, schema
from ugc.cli import main
from ugc.process import free_port


def _cli(etl: RunningEtl, *args: str) -> Any:
    env = {
        "UGC_KAFKA_BOOTSTRAP": etl.settings.kafka_bootstrap,
        "UGC_ETL_DEAD_LETTER_TOPIC": etl.settings.etl_dead_letter_topic,
        "UGC_ETL_GROUP_ID": etl.settings.etl_group_id,
    }
    result = CliRunner().invoke(main, list(args), env={**os.environ, **env})
    assert result.exit_code == 0, result.output
    return result.output


def _letters(etl: RunningEtl) -> list[dict[str, Any]]:
    output = _cli(etl, "dlq", "list", "--json")
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_poison_reaches_the_dead_letters_and_replay_loads_it_after_the_fix(
    registry_url: str,
    run_etl: Callable[..., RunningEtl],
    producer: Producer,
    clickhouse_client: Client,
    clickhouse_database: str,
    event_type: str,
) -> None:
    topic, subject = f"ugc.{event_type}", Subject(f"ugc.{event_type}-value")
    fixed = schema(device=True)
    with RegistryClient(registry_url) as registry:
        first = registry.register(subject, schema())
        good = AvroSerializer(registry, schema=schema(), use_latest=False)
        unknown = SchemaId(first + 1)  # the id the fix will get
        body = io.BytesIO()
        parsed = fastavro.parse_schema(json.loads(fixed), named_schemas={})
        fastavro.schemaless_writer(body, parsed, record(7, device="tv"))
        values = [
            good.serialize(topic, record(1)),
            b'{"not": "avro"}',
            wire.frame(unknown, body.getvalue()),
            good.serialize(topic, record(3))[:-3],  # truncated body
            good.serialize(topic, record(4)),
        ]
        for value in values:
            producer.produce(topic, value=value, key=b"user-1", partition=0)
        assert producer.flush(10) == 0

        etl = run_etl(registry_url, rf"^ugc\.{event_type}$")
        view = f"{clickhouse_database}.{event_type}"
        wait_for(lambda: count_rows(clickhouse_client, view), 2, etl=etl)
        wait_for(lambda: len(_letters(etl)), 3, etl=etl)
        letters = _letters(etl)
        assert [(x["source_offset"], x["reason"], x["source_topic"]) for x in letters] == [
            (1, "wire", topic),
            (2, "unknown_schema", topic),
            (3, "bad_body", topic),
        ]
        assert letters[1]["schema_id"] == unknown
        assert "JSON?" in letters[0]["error"]
        shown = json.loads(_cli(etl, "dlq", "show", str(letters[1]["offset"])))
        assert shown["key"] == "user-1"
        assert bytes.fromhex(shown["value_hex"]) == values[2]

        assert registry.register(subject, fixed) == unknown  # the fix
        output = _cli(etl, "dlq", "replay", "--reason", "unknown_schema")
        assert "replayed 1 messages" in output
        wait_for(lambda: count_rows(clickhouse_client, view), 3, etl=etl)
        assert "replayed 0 messages" in _cli(etl, "dlq", "replay")
    rows = clickhouse_client.query(f"SELECT score, device FROM {view} ORDER BY _offset")
    assert rows.result_rows == [(1, None), (4, None), (7, "tv")]


def test_a_registry_outage_blocks_and_retries_without_dead_letters_or_loss(
    start_registry: Callable[..., RunningRegistry],
    run_etl: Callable[..., RunningEtl],
    producer: Producer,
    clickhouse_client: Client,
    clickhouse_database: str,
    event_type: str,
) -> None:
    port = free_port()
    registry_server = start_registry(port=port)
    url = registry_server.url
    topic, subject = f"ugc.{event_type}", Subject(f"ugc.{event_type}-value")
    with RegistryClient(url) as registry:
        registry.register(subject, schema())
        registry.register(subject, schema(device=True))
        old = AvroSerializer(registry, schema=schema(), use_latest=False)
        new = AvroSerializer(registry, schema=schema(device=True), use_latest=False)
        before = [old.serialize(topic, record(n)) for n in range(5)]
        during = [new.serialize(topic, record(n, device="d")) for n in range(5, 10)]
    for value in before:
        producer.produce(topic, value=value, partition=0)
    assert producer.flush(10) == 0
    etl = run_etl(url, rf"^ugc\.{event_type}$")
    view = f"{clickhouse_database}.{event_type}"
    wait_for(lambda: count_rows(clickhouse_client, view), 5, etl=etl)

    registry_server.stop()
    for value in during:  # a schema id the ETL has not fetched yet
        producer.produce(topic, value=value, partition=0)
    assert producer.flush(10) == 0
    wait_for(lambda: metric_total(etl, "ugc_etl_retries_total") >= 2, True, etl=etl)
    assert count_rows(clickhouse_client, view) == 5

    start_registry(topic=registry_server.topic, port=port)
    wait_for(lambda: count_rows(clickhouse_client, view), 10, timeout=60, etl=etl)
    time.sleep(1)
    assert metric_total(etl, "ugc_etl_dead_letters_total") == 0
    rows = clickhouse_client.query(f"SELECT count(), uniqExact(event_id) FROM {view}")
    assert rows.result_rows == [(10, 10)]
