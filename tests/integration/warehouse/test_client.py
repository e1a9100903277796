"""clickhouse-connect's ordinary API on the warehouse, run twice: chdb in this process and
`ugc warehouse serve` over HTTP; and the embedded directory's one-owner rule."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

HOLD = """
import sys, time
from ugc.warehouse import connect
connect(sys.argv[1], role="etl").command("SELECT 1")
print("held", flush=True)
time.sleep(60)
"""

TRY = """
import sys
from ugc.errors import WarehouseBusyError
from ugc.warehouse import connect
try:
    connect(sys.argv[1], role="console")
except WarehouseBusyError as exc:
    print(exc)
    sys.exit(3)
"""


def _events(client: Client, database: str) -> str:
    table = f"{database}.events"
    client.command(
        f"CREATE TABLE {table} (id UInt32, s String, at DateTime64(3, 'UTC')) "
        "ENGINE = MergeTree ORDER BY id"
    )
    return table


def test_mergetree_round_trip_through_the_fixture(
    warehouse_client: Client, warehouse_database: str
) -> None:
    table = _events(warehouse_client, warehouse_database)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    warehouse_client.insert(table, [[2, "b", at], [1, "a", at]], column_names=["id", "s", "at"])
    rows = warehouse_client.query(f"SELECT id, s, at FROM {table} ORDER BY id").result_rows
    assert [(r[0], r[1], r[2].replace(tzinfo=UTC)) for r in rows] == [(1, "a", at), (2, "b", at)]


def test_insert_of_columns_counts_every_row(
    warehouse_client: Client, warehouse_database: str
) -> None:
    table = _events(warehouse_client, warehouse_database)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ids = list(range(50_000))
    summary = warehouse_client.insert(
        table,
        [ids, [str(i) for i in ids], [at] * len(ids)],
        column_names=["id", "s", "at"],
        column_oriented=True,
    )
    assert summary.written_rows == 50_000
    assert warehouse_client.command(f"SELECT count(), sum(id) FROM {table}") == [
        "50000",
        str(sum(ids)),
    ]


def test_query_parameters_are_typed_server_side(warehouse_client: Client) -> None:
    result = warehouse_client.query(
        "SELECT {n:UInt32} + 1 AS next, {s:String} AS text",
        parameters={"n": 41, "s": "h\u00e9 'quoted'"},
    )
    assert result.result_rows == [(42, "h\u00e9 'quoted'")]
    bound = warehouse_client.query("SELECT %(m)s + 1", parameters={"m": 7})
    assert bound.result_rows == [(8,)]


def test_settings_apply_to_one_query_only(warehouse_client: Client) -> None:
    setting = "SELECT getSetting('max_block_size')"
    assert warehouse_client.command(setting, settings={"max_block_size": 1234}) == 1234
    assert warehouse_client.command(setting) != 1234


def test_row_and_block_streams_deliver_every_row(warehouse_client: Client) -> None:
    with warehouse_client.query_rows_stream("SELECT number FROM numbers(300000)") as rows:
        assert sum(row[0] for row in rows) == sum(range(300_000))
    with warehouse_client.query_column_block_stream("SELECT number FROM numbers(300000)") as blocks:
        assert sum(len(block[0]) for block in blocks) == 300_000


def test_command_returns_ddl_and_scalar_results(
    warehouse_client: Client, warehouse_database: str
) -> None:
    table = _events(warehouse_client, warehouse_database)
    assert warehouse_client.command(f"EXISTS TABLE {table}") == 1
    assert warehouse_client.command("SELECT 'a', 'b'") == ["a", "b"]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELEC 1", 62),
        ("SELECT * FROM no_such_database.no_such_table", 81),
        ("SELECT no_such_function(1)", 46),
    ],
)
def test_errors_raise_clickhouse_connects_exception_with_the_real_code(
    warehouse_client: Client, sql: str, code: int
) -> None:
    with pytest.raises(DatabaseError) as raised:
        warehouse_client.query(sql)
    assert raised.value.code == code
    assert f"Code: {code}. DB::Exception:" in str(raised.value)


def test_failure_after_the_first_block_still_raises_with_its_code(
    warehouse_client: Client,
) -> None:
    sql = "SELECT throwIf(number = 250000) FROM numbers(300000) SETTINGS max_block_size = 1000"
    with pytest.raises(DatabaseError) as raised, warehouse_client.query_rows_stream(sql) as rows:
        for _ in rows:
            pass
    assert raised.value.code == 395


def test_second_process_on_an_embedded_warehouse_is_told_who_holds_it(tmp_path: Path) -> None:
    dsn = f"chdb://{tmp_path / 'clickhouse'}"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, dsn], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-c", TRY, dsn],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 3, second.stderr
        assert f"held by the 'etl' process (pid {holder.pid})" in second.stdout
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.communicate()
