"""Tables readied while the consumer starts (`WarehouseSink.prepare`), on the real registry
and the test warehouse: a new topic's first insert waits for no table statement, and the
schema map still records where the schema id was first seen."""

from __future__ import annotations

import io
import json
import uuid

import fastavro
from clickhouse_connect.driver.client import Client

from etl.batch import PartitionBatch, StoredMessage
from etl.clickhouse import Warehouse
from etl.sink import WarehouseSink
from etl.tables import Catalog
from registry.client import wire
from registry.client.client import RegistryClient
from registry.client.models import SchemaId, Subject

_FIELDS = [
    {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "score", "type": "int"},
]
_V1 = {"type": "record", "name": "Scored", "fields": _FIELDS}
_V2 = {**_V1, "fields": [*_FIELDS, {"name": "note", "type": "string", "default": ""}]}


def _sink(
    client: Client, database: str, registry_url: str, registry: RegistryClient
) -> WarehouseSink:
    warehouse = Warehouse(client, registry_url=registry_url)
    catalog = Catalog(warehouse, database)
    catalog.start()
    return WarehouseSink(warehouse, catalog, registry)


def _batch(topic: str, partition: int, schema_id: SchemaId, offsets: range) -> PartitionBatch:
    parsed = fastavro.parse_schema(_V1)
    batch = PartitionBatch(topic, partition)
    for offset in offsets:
        body = io.BytesIO()
        record = {"event_id": str(uuid.uuid4()), "occurred_at": 1_764_000_000_000, "score": offset}
        fastavro.schemaless_writer(body, parsed, record)
        batch.add(
            StoredMessage(topic, partition, offset, None, wire.frame(schema_id, body.getvalue()))
        )
    return batch


def _names(client: Client, database: str) -> set[str]:
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", parameters={"db": database}
    ).result_rows
    return {r[0] for r in rows}


def test_a_new_topic_has_its_table_view_and_stages_before_its_first_message(
    clickhouse_client: Client, clickhouse_database: str, registry_url: str
) -> None:
    with RegistryClient(registry_url) as registry:
        schema_id = registry.register(Subject("ugc.scored-value"), json.dumps(_V1))
        sink = _sink(clickhouse_client, clickhouse_database, registry_url, registry)
        for partition in (0, 1):
            sink.restart("ugc.scored", partition)
        sink.prepare("ugc.scored", [0, 1])

        names = _names(clickhouse_client, clickhouse_database)
        assert {"scored_v1", "scored"} <= names
        assert len([n for n in names if n.startswith(f"_stage_{schema_id}_")]) == 2
        mapped = (
            "SELECT table, first_partition, first_offset"
            f" FROM {clickhouse_database}._schema_tables FINAL"
        )
        assert clickhouse_client.query(mapped).result_rows == []  # not seen yet

        result = sink.write(_batch("ugc.scored", 1, schema_id, range(7, 10)))

    assert (result.loaded, result.skipped, result.tables) == (
        3,
        0,
        {f"{clickhouse_database}.`scored_v1`": 3},
    )
    assert clickhouse_client.query(mapped).result_rows == [("scored_v1", 1, 7)]
    view = f"SELECT score, _offset FROM {clickhouse_database}.scored ORDER BY _offset"
    assert clickhouse_client.query(view).result_rows == [(7, 7), (8, 8), (9, 9)]


def test_a_subject_with_older_versions_gets_no_table_before_its_messages(
    clickhouse_client: Client, clickhouse_database: str, registry_url: str
) -> None:
    """An older writer may come first in the topic and must open `_v1` itself."""
    with RegistryClient(registry_url) as registry:
        subject = Subject("ugc.rescored-value")
        first = registry.register(subject, json.dumps(_V1))
        registry.register(subject, json.dumps(_V2))
        sink = _sink(clickhouse_client, clickhouse_database, registry_url, registry)
        sink.restart("ugc.rescored", 0)
        sink.prepare("ugc.rescored", [0])
        assert "rescored_v1" not in _names(clickhouse_client, clickhouse_database)

        result = sink.write(_batch("ugc.rescored", 0, first, range(3)))

    assert result.loaded == 3
    columns = clickhouse_client.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = 'rescored_v1'",
        parameters={"db": clickhouse_database},
    ).result_rows
    assert "note" not in {c[0] for c in columns}  # opened by the first writer, version 1
