"""A store that cannot run is reported as "not run" with its reason, never skipped."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from compare import report, runner
from compare.cli import _command, bench_compare
from compare.stores.base import StoreUnavailableError
from compare.stores.vertica import vertica_options


def _plan(tmp_path: Path, stores: tuple[str, ...]) -> runner.Plan:
    return runner.Plan(
        rows=1_000, seed=1, stores=stores, batches=1, users=2, mixed_seconds=0.1,
        mixed_batch=10, query_runs=1, command="test", pg_bindir=str(tmp_path / "none"),
    )  # fmt: skip


def test_stores_that_cannot_run_are_reported_with_their_reasons(tmp_path: Path) -> None:
    results = runner.run(_plan(tmp_path, ("postgresql", "vertica")), Console(file=io.StringIO()))
    reasons = {s.name: s.reason for s in results.statuses if not s.ran}
    assert reasons["postgresql"].startswith("no PostgreSQL server binaries (initdb, pg_ctl) in ")
    assert reasons["vertica"].startswith("no Vertica DSN given (--vertica-dsn")
    text = report.markdown(results)
    assert "| postgresql | not run: no PostgreSQL server binaries" in text
    assert "| vertica | not run: no Vertica DSN given" in text


def test_a_vertica_dsn_is_parsed_and_anything_else_refused() -> None:
    assert vertica_options("vertica://dba:p%40ss@db.example:5444/ugc") == {
        "host": "db.example", "port": 5444, "user": "dba", "password": "p@ss",
        "database": "ugc", "autocommit": True,
    }  # fmt: skip
    with pytest.raises(StoreUnavailableError, match=r"looks like vertica://user:password@"):
        vertica_options("http://host/db")


def test_an_unknown_store_is_a_usage_error() -> None:
    result = CliRunner().invoke(bench_compare, ["--stores", "clickhouse,oracle"])
    assert result.exit_code == 2
    assert "choose from clickhouse, postgresql, duckdb, vertica" in result.output


def test_the_recorded_command_hides_dsn_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["/x/bin/ugc", "bench", "compare", "--vertica-dsn", "vertica://dba:s3cret@h:5433/db"]
    monkeypatch.setattr(sys, "argv", argv)
    assert _command() == "ugc bench compare --vertica-dsn 'vertica://***@h:5433/db'"
