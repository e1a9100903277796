"""The mapping meets ClickHouse: every contract's table is created from `etl.mapping`, the
types ClickHouse reports back are the ones the evolution plan compares against, and
ClickHouse's own Avro reader (the ETL's fast path) decodes every contract's example."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
from clickhouse_connect.driver.client import Client

from contracts.conventions import CLIENT_OPTIONAL_FIELDS, SERVER_OWNED_FIELDS
from contracts.loading import Contract, load_contracts
from etl.clickhouse import Warehouse
from etl.evolution import plan
from etl.mapping import columns_of
from etl.tables import Catalog, FirstSeen, create_statement
from registry.client import wire
from registry.client.avro.parse import parse_schema
from registry.client.client import RegistryClient
from registry.client.models import Subject
from registry.client.payload import to_datum
from registry.client.serdes import AvroSerializer
from tests.support import events

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def test_every_contract_creates_a_table_whose_columns_read_back_as_planned(
    clickhouse_client: Client, clickhouse_database: str
) -> None:
    catalog = Catalog(Warehouse(clickhouse_client, registry_url="http://unused"),
                      clickhouse_database)  # fmt: skip
    for contract in load_contracts(SCHEMAS):
        columns = columns_of(parse_schema(contract.schema).root)
        table = f"{contract.event_type}_v1"
        clickhouse_client.command(create_statement(f"{clickhouse_database}.{table}", columns))
        [state] = catalog.versions(contract.event_type)
        described = {c.name: (c.type, c.has_default) for c in state.columns}
        for column in columns:
            assert described[column.name] == (column.type, column.default is not None), column
        again = plan(contract.event_type, state, columns)
        assert (again.table, again.create, again.alters) == (table, None, ())


def _example(contract: Contract) -> dict[str, Any]:
    """The contract's example as the ingest API completes it before writing."""
    datum = to_datum(contract.schema, contract.example, server_owned=SERVER_OWNED_FIELDS,
                     optional=CLIENT_OPTIONAL_FIELDS)  # fmt: skip
    return {
        "event_id": "0b8f5d4e-2c1a-4f3b-8e6d-9a7c5b3d1e20",
        **datum,
        "user_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "received_at": datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
    }


def test_clickhouse_avro_reader_decodes_every_contract_example(
    clickhouse_client: Client, clickhouse_database: str, registry_url: str
) -> None:
    """No contract needs the Python path: ClickHouse fetches each writer schema from our
    registry and decodes the framed example into the contract's table."""
    with RegistryClient(registry_url) as registry:
        for contract in load_contracts(SCHEMAS):
            registry.register(contract.subject, contract.schema)
            framed = AvroSerializer(registry).serialize(contract.topic, _example(contract))
            columns = columns_of(parse_schema(contract.schema).root)
            table = f"{clickhouse_database}.{contract.event_type}_fast"
            clickhouse_client.command(create_statement(table, columns))
            summary = clickhouse_client.raw_insert(
                table,
                column_names=[c.name for c in columns],
                insert_block=framed,
                fmt="AvroConfluent",
                settings={"format_avro_schema_registry_url": registry_url},
            )
            assert summary.written_rows == 1, contract.event_type
            got = clickhouse_client.command(f"SELECT toString(event_id) FROM {table}")
            assert got == "0b8f5d4e-2c1a-4f3b-8e6d-9a7c5b3d1e20", contract.event_type


def test_an_optional_array_or_map_loads_its_null_as_empty(
    clickhouse_client: Client, clickhouse_database: str, registry_url: str
) -> None:
    schema = {
        "type": "record",
        "name": "Tagged",
        "fields": [
            {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "tags", "type": ["null", {"type": "array", "items": "string"}],
             "default": None},
            {"name": "counts", "type": ["null", {"type": "map", "values": "int"}],
             "default": None},
        ],
    }  # fmt: skip
    text = json.dumps(schema)
    columns = columns_of(parse_schema(text).root)
    assert [(c.type, c.default) for c in columns[1:]] == [
        ("Array(String)", "[]"),
        ("Map(String, Int32)", "map()"),
    ]
    table = f"{clickhouse_database}.tagged_v1"
    clickhouse_client.command(create_statement(table, columns))
    ids = ["0b8f5d4e-2c1a-4f3b-8e6d-9a7c5b3d1e21", "0b8f5d4e-2c1a-4f3b-8e6d-9a7c5b3d1e22"]
    with RegistryClient(registry_url) as registry:
        registry.register(Subject("tagged-value"), text)
        serializer = AvroSerializer(registry, schema=text, use_latest=False)
        framed = serializer.serialize("tagged", {"event_id": ids[0], "tags": None, "counts": None})
        framed += serializer.serialize(
            "tagged", {"event_id": ids[1], "tags": ["a", "b"], "counts": {"k": 3}}
        )
    settings = {"format_avro_schema_registry_url": registry_url}
    names = [c.name for c in columns]
    clickhouse_client.raw_insert(table, names, framed, settings, "AvroConfluent")
    rows = clickhouse_client.query(
        f"SELECT toString(event_id), tags, counts FROM {table} ORDER BY 1"
    )
    assert rows.result_rows == [(ids[0], [], {}), (ids[1], ["a", "b"], {"k": 3})]


def test_regression_the_map_records_why_a_breaking_writer_opened_a_new_version(
    clickhouse_client: Client, clickhouse_database: str
) -> None:
    """The reasons came from the plan made after applying the decision (which asks for no
    change, so has none): every recorded decision read `{"reasons": []}`."""
    catalog = Catalog(Warehouse(clickhouse_client, registry_url="http://unused"),
                      clickhouse_database)  # fmt: skip
    catalog.start()
    seen = FirstSeen("ugc.rated", 0, 0)
    catalog.target(1, parse_schema(events.schema()).root, seen)
    catalog.target(2, parse_schema(events.schema(device=True)).root, FirstSeen("ugc.rated", 0, 1))
    catalog.target(
        3, parse_schema(events.schema(score="string")).root, FirstSeen("ugc.rated", 0, 2)
    )
    rows = clickhouse_client.query(
        f"SELECT schema_id, table, decision FROM {clickhouse_database}._schema_tables FINAL"
        " ORDER BY schema_id"
    ).result_rows
    assert [(schema_id, table) for schema_id, table, _ in rows] == [
        (1, "rated_v1"),
        (2, "rated_v1"),
        (3, "rated_v2"),
    ]
    assert [json.loads(decision)["reasons"] for _, _, decision in rows] == [
        [],
        [],
        ["field 'score': column Int32 cannot take String"],
    ]


def test_a_fast_path_run_of_many_blocks_gives_every_row_its_own_offset(
    clickhouse_client: Client, clickhouse_database: str, registry_url: str
) -> None:
    """Row n of a run takes offset first + n (`rowNumberInAllBlocks()` over the stage), so
    the stage must keep the body's order across blocks: ClickHouse parses 65,536 rows per
    block, and a Memory table filled another way (`INSERT … FROM INFILE` in process) came
    back out of order (measured: 130,818 of 150,000 rows)."""
    schema = json.dumps({
        "type": "record",
        "name": "Numbered",
        "fields": [
            {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "n", "type": "long"},
        ],
    })  # fmt: skip
    count, first = 140_000, 1_000
    with RegistryClient(registry_url) as registry:
        schema_id = registry.register(Subject("numbered-value"), schema)
    parsed = fastavro.parse_schema(json.loads(schema))
    header = wire.frame(schema_id, b"")
    frames = []
    for n in range(count):
        out = io.BytesIO()
        fastavro.schemaless_writer(
            out, parsed, {"event_id": str(uuid.UUID(int=n * 7919 + 1, version=4)),
                          "occurred_at": 1_764_000_000_000 + n, "n": n},
        )  # fmt: skip
        frames.append(header + out.getvalue())
    columns = columns_of(parse_schema(schema).root)
    table = f"{clickhouse_database}.numbered_v1"
    clickhouse_client.command(create_statement(table, columns))
    Warehouse(clickhouse_client, registry_url=registry_url).insert_framed(
        table,
        columns,
        stage=f"{clickhouse_database}._stage_numbered",
        metadata={"_schema_id": schema_id, "_topic": "numbered", "_partition": 0},
        first_offset=first,
        values=b"".join(frames),
        count=count,
        token="numbered:0:run",
    )
    rows = clickhouse_client.query(
        f"SELECT count(), countIf(_offset != {first} + n), uniqExact(_offset) FROM {table}"
    )
    assert rows.result_rows == [(count, 0, count)]
