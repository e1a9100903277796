"""Schema evolution end to end: compatible writers extend the table, a breaking one opens
`_v2` at its first offset, and the view shows every row with defaults where a writer had
no value."""

from __future__ import annotations

from collections.abc import Callable

from clickhouse_connect.driver.client import Client
from confluent_kafka import Producer

from registry.client.client import RegistryClient
from registry.client.models import CompatibilityLevel, Subject
from registry.client.serdes import AvroSerializer
from tests.support.etl import RunningEtl, count_rows, wait_for
from tests.support.events import record, schema


def test_compatible_writers_extend_the_table_and_a_breaking_one_opens_v2(
    registry_url: str,
    run_etl: Callable[..., RunningEtl],
    producer: Producer,
    clickhouse_client: Client,
    clickhouse_database: str,
    event_type: str,
) -> None:
    topic = f"ugc.{event_type}"
    subject = Subject(f"{topic}-value")
    versions = [
        (schema(), record(1, comment="first")),
        (schema(device=True), record(2, comment="second", device="tv-1")),  # optional field
        (schema(score="long", device=True), record(3, device=None)),  # int -> long
        (
            schema(score="long", device=True, symbols=("web", "ios", "unknown", "tv")),
            record(4, platform="tv"),
        ),  # enum symbol
        (
            schema(
                score="long", device=True, comment=False, symbols=("web", "ios", "unknown", "tv")
            ),
            record(5),
        ),  # removed, had default
    ]
    breaking = schema(score="string", comment=False, device=True)
    with RegistryClient(registry_url) as registry:
        registry.set_compatibility(CompatibilityLevel.BACKWARD_TRANSITIVE, subject)
        for text, value in versions:
            registry.register(subject, text)
            serializer = AvroSerializer(registry, schema=text, use_latest=False)
            producer.produce(topic, value=serializer.serialize(topic, value), partition=0)
        registry.set_compatibility(CompatibilityLevel.NONE, subject)
        breaking_id = registry.register(subject, breaking)
        serializer = AvroSerializer(registry, schema=breaking, use_latest=False)
        producer.produce(topic, value=serializer.serialize(topic, record("six")), partition=0)
    assert producer.flush(10) == 0

    etl = run_etl(registry_url, rf"^ugc\.{event_type}$")
    view = f"{clickhouse_database}.{event_type}"
    wait_for(lambda: count_rows(clickhouse_client, view), 6, etl=etl)

    v1 = dict(_columns(clickhouse_client, clickhouse_database, f"{event_type}_v1"))
    assert v1["score"] == ("Int64", "")
    assert v1["device"] == ("Nullable(String)", "NULL")
    assert v1["comment"] == ("String", "''")
    assert v1["context.platform"] == (
        "Enum8('web' = 1, 'ios' = 2, 'unknown' = 3, 'tv' = 4)",
        "'unknown'",
    )
    assert v1["event_id"][0] == "UUID"
    assert v1["occurred_at"][0] == "DateTime64(3, 'UTC')"
    v2 = dict(_columns(clickhouse_client, clickhouse_database, f"{event_type}_v2"))
    assert v2["score"] == ("String", "")
    assert "comment" not in v2

    rows = clickhouse_client.query(
        f"SELECT score, comment, device, `context.platform`, _offset, _schema_id "
        f"FROM {view} ORDER BY _offset"
    ).result_rows
    assert rows[:5] == [
        ("1", "first", None, "web", 0, rows[0][5]),
        ("2", "second", "tv-1", "web", 1, rows[1][5]),
        ("3", "", None, "web", 2, rows[2][5]),
        ("4", "", None, "tv", 3, rows[3][5]),
        ("5", "", None, "web", 4, rows[4][5]),  # comment removed: its default
    ]
    assert rows[5][:5] == ("six", None, None, "web", 5)
    opened = clickhouse_client.query(
        f"SELECT table, first_partition, first_offset FROM {clickhouse_database}._schema_tables"
        f" FINAL WHERE schema_id = {breaking_id}"
    ).result_rows
    assert opened == [(f"{event_type}_v2", 0, 5)]


def _columns(client: Client, database: str, table: str) -> list[tuple[str, tuple[str, str]]]:
    rows = client.query(
        "SELECT name, type, default_expression FROM system.columns"
        " WHERE database = {db:String} AND table = {t:String} ORDER BY position",
        parameters={"db": database, "t": table},
    ).result_rows
    return [(name, (kind, default)) for name, kind, default in rows]
