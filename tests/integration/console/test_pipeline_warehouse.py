"""The pipeline page's warehouse queries on real ClickHouse (the session's warehouse server,
reached through UGC_CLICKHOUSE_DSN as the console reaches it), over
tables laid out as the ETL writes them: versioned tables `<event_type>_v<N>` with the load
metadata, and the view `<event_type>` over them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from clickhouse_connect.driver.client import Client
from pydantic import SecretStr

from registry.client.fake import InMemoryRegistry
from services.console.decoding import MessageDecoder
from services.console.pipeline import Pipeline
from services.console.settings import ConsoleSettings
from tests.unit.services.console.fakes import FakeCluster

COLUMNS = """
    event_id UUID, user_id UUID, occurred_at DateTime64(3, 'UTC'), score Int32,
    _schema_id UInt32, _topic LowCardinality(String), _partition UInt32, _offset UInt64,
    _loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
"""
EVENT = "6f1c0a52-3b7e-4d3a-9c1e-2f4a5b6c7d80"


def _pipeline(dsn: str, database: str) -> Pipeline:
    settings = ConsoleSettings(
        clickhouse_dsn=dsn, console_warehouse_database=database, console_password=SecretStr("x")
    )
    cluster = FakeCluster()  # only the warehouse is asked here
    return Pipeline(settings, cluster, MessageDecoder(InMemoryRegistry()), None)


def _load(client: Client, database: str) -> None:
    for version in (1, 2):
        client.command(
            f"CREATE TABLE {database}.rating_v{version} ({COLUMNS}) "
            "ENGINE = ReplacingMergeTree ORDER BY (user_id, occurred_at, event_id)"
        )
    client.command(
        f"CREATE VIEW {database}.rating AS SELECT * FROM {database}.rating_v1 "
        f"UNION ALL SELECT * FROM {database}.rating_v2"
    )
    rows = [
        (
            EVENT,
            "00000000-0000-4000-8000-000000000001",
            datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
            7,
            1,
            "ugc.rating",
            0,
            41,
        ),
        (
            "00000000-0000-4000-8000-0000000000aa",
            "00000000-0000-4000-8000-000000000001",
            datetime(2026, 12, 2, 8, 5, tzinfo=UTC),
            3,
            2,
            "ugc.rating",
            0,
            42,
        ),
    ]
    names = [
        "event_id",
        "user_id",
        "occurred_at",
        "score",
        "_schema_id",
        "_topic",
        "_partition",
        "_offset",
    ]
    for table, row in (("rating_v1", rows[0]), ("rating_v2", rows[1])):
        typed = [uuid.UUID(row[0]), uuid.UUID(row[1]), *row[2:]]
        client.insert(f"{database}.{table}", [typed], column_names=names)


def test_rows_and_freshness_per_event_type_come_from_the_views(
    clickhouse_client: Client, clickhouse_dsn: str, clickhouse_database: str
) -> None:
    _load(clickhouse_client, clickhouse_database)
    (fresh,) = _pipeline(clickhouse_dsn, clickhouse_database).freshness()
    assert (fresh.event_type, fresh.rows, fresh.events) == ("rating", 2, 2)
    assert fresh.tables == ("rating_v1", "rating_v2")
    assert fresh.last_occurred.replace(tzinfo=UTC) == datetime(2026, 12, 2, 8, 5, tzinfo=UTC)


def test_an_event_id_and_a_kafka_offset_find_the_table_and_row_they_became(
    clickhouse_client: Client, clickhouse_dsn: str, clickhouse_database: str
) -> None:
    _load(clickhouse_client, clickhouse_database)
    pipeline = _pipeline(clickhouse_dsn, clickhouse_database)
    (landing,) = pipeline.find_event(EVENT)
    assert (landing.table, landing.topic, landing.partition, landing.offset) == (
        "rating_v1",
        "ugc.rating",
        0,
        41,
    )
    (by_offset,) = pipeline.find_offset("ugc.rating", 0, 42)
    assert (by_offset.table, by_offset.schema_id) == ("rating_v2", 2)
    assert '"score": 7' in landing.row and f'"event_id": "{EVENT}"' in landing.row
    assert pipeline.find_event("x' OR 1=1 --") == []
    assert pipeline.find_offset("ugc.rating", 0, 43) == []


def test_the_etls_schema_to_table_decisions_are_listed(
    clickhouse_client: Client, clickhouse_dsn: str, clickhouse_database: str
) -> None:
    pipeline = _pipeline(clickhouse_dsn, clickhouse_database)
    assert pipeline.schema_map() == []
    clickhouse_client.command(
        f"CREATE TABLE {clickhouse_database}._schema_tables (event_type String, topic String,"
        " schema_id UInt32, table String, version UInt32, first_partition Int32,"
        " first_offset Int64, decision String,"
        " decided_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC'))"
        " ENGINE = ReplacingMergeTree ORDER BY (event_type, schema_id)"
    )
    clickhouse_client.insert(
        f"{clickhouse_database}._schema_tables",
        [["rating", "ugc.rating", 2, "ugc.rating_v2", 2, 0, 42, "new version"]],
        column_names=[
            "event_type",
            "topic",
            "schema_id",
            "table",
            "version",
            "first_partition",
            "first_offset",
            "decision",
        ],
    )
    (decision,) = pipeline.schema_map()
    assert (decision.schema_id, decision.table, decision.first_offset) == (2, "ugc.rating_v2", 42)
