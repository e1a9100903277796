"""`ugc query` against the warehouse server, and `ugc warehouse serve` refusing a held dir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.warehouse import WarehouseProcess
from ugc.cli import main


@pytest.fixture
def runner(warehouse_server: WarehouseProcess, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("UGC_CLICKHOUSE_DSN", warehouse_server.url)
    return CliRunner()


def test_query_prints_a_table_by_default(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["query", "SELECT number AS n, toString(number) AS s FROM numbers(3)"]
    )
    assert result.exit_code == 0, result.output
    assert "┃ n ┃ s ┃" in result.output
    assert "3 rows" in result.output


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("csv", '"n"\n0\n1\n'), ("jsonl", '{"n":0}\n{"n":1}\n'), ("TSVRaw", "0\n1\n")],
)
def test_query_prints_clickhouses_own_output_in_other_formats(
    runner: CliRunner, fmt: str, expected: str
) -> None:
    result = runner.invoke(main, ["query", "SELECT number AS n FROM numbers(2)", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert result.output == expected


def test_query_error_exits_1_with_clickhouses_message(runner: CliRunner) -> None:
    result = runner.invoke(main, ["query", "SELECT * FROM default.no_such_table"])
    assert result.exit_code == 1
    assert result.output.startswith("error: Code: 60. DB::Exception: ")


def test_serve_on_a_held_directory_exits_1_naming_the_holder(
    warehouse_server: WarehouseProcess, tmp_path: Path
) -> None:
    served = subprocess.run(
        [sys.executable, "-m", "ugc", "warehouse", "serve", "--port", "0",
         "--data-dir", str(warehouse_server.data_dir)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert served.returncode == 1
    assert f"held by the 'warehouse' process (pid {warehouse_server.process.pid})" in served.stderr
