"""The mapping meets ClickHouse: every contract's table is created from `etl.mapping`, and
the types ClickHouse reports back are the ones the evolution plan compares against."""

from __future__ import annotations

from pathlib import Path

from clickhouse_connect.driver.client import Client

from contracts.loading import load_contracts
from etl.clickhouse import Warehouse
from etl.evolution import plan
from etl.mapping import columns_of
from etl.tables import Catalog, create_statement
from registry.client.avro.parse import parse_schema

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
