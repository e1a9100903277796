"""The embedded warehouse: real chdb, one owner at a time, a clear error for the second."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from clickhouse_connect.driver.client import Client

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


def test_mergetree_round_trip_through_the_fixture(
    clickhouse_client: Client, clickhouse_database: str
) -> None:
    table = f"{clickhouse_database}.events"
    clickhouse_client.command(f"CREATE TABLE {table} (id UInt32, s String) ORDER BY id")
    clickhouse_client.insert(table, [[2, "b"], [1, "a"]], column_names=["id", "s"])
    rows = clickhouse_client.query(f"SELECT id, s FROM {table} ORDER BY id").result_rows
    assert rows == [(1, "a"), (2, "b")]


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
