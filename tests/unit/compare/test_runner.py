"""A store that cannot run is reported as "not run" with its reason, never skipped."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from compare import report, runner
from compare.cli import _command, bench_compare


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


def test_a_vertica_dsn_that_is_not_vertica_is_refused(tmp_path: Path) -> None:
    plan = _plan(tmp_path, ("vertica",))
    plan = runner.Plan(**{**plan.__dict__, "vertica_dsn": "http://host/db"})
    results = runner.run(plan, Console(file=io.StringIO()))
    assert not results.statuses[0].ran
    assert results.statuses[0].reason  # either the driver is missing or the DSN is refused


def test_an_unknown_store_is_a_usage_error() -> None:
    result = CliRunner().invoke(bench_compare, ["--stores", "clickhouse,oracle"])
    assert result.exit_code == 2
    assert "choose from clickhouse, postgresql, duckdb, vertica" in result.output


def test_the_recorded_command_hides_dsn_passwords(monkeypatch: object) -> None:
    import sys

    argv = ["/x/bin/ugc", "bench", "compare", "--vertica-dsn", "vertica://dba:s3cret@h:5433/db"]
    original, sys.argv = sys.argv, argv
    try:
        assert _command() == "ugc bench compare --vertica-dsn 'vertica://***@h:5433/db'"
    finally:
        sys.argv = original
