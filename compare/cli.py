"""`ugc bench compare`: run the storage comparison and write its report and charts.

Exit codes: 0 the run finished (stores that could not run are listed as "not run");
1 the stores disagreed on an answer, or none could run; 2 usage.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import click
from pydantic import SecretStr
from rich.console import Console

from compare import STORES
from ugc.errors import UgcError
from ugc.settings import UgcSettings

QUICK_ROWS = 20_000


class CompareSettings(UgcSettings):
    """Where the comparison finds its stores (all optional)."""

    compare_clickhouse_dsn: str | None = None
    compare_vertica_dsn: SecretStr | None = None
    compare_pg_bindir: str | None = None
    compare_pg_os_user: str | None = None


def _stores(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in STORES]
    if unknown or not names:
        raise click.BadParameter(f"choose from {', '.join(STORES)} (got {value!r})")
    return names


@click.command("compare")
@click.option(
    "--rows", type=click.IntRange(min=1), help="Progress rows [10,000,000; quick 20,000]."
)
@click.option("--stores", default=",".join(STORES), show_default=True,
              help="Comma-separated stores to compare.")  # fmt: skip
@click.option("--quick", is_flag=True, help="Small data and short runs (what the tests run).")
@click.option("--seed", default=42, show_default=True, help="Seed of the generated dataset.")
@click.option(
    "--batches", type=click.IntRange(min=1), help="Inserts per batch size [100; quick 5]."
)
@click.option("--users", type=click.IntRange(min=2), help="Mixed-workload users [8; quick 4].")
@click.option("--mixed-seconds", type=click.FloatRange(min=0.1), help="[30; quick 2].")
@click.option("--mixed-batch", default=100, show_default=True, help="Rows per mixed-load insert.")
@click.option("--query-runs", type=click.IntRange(min=1), help="Timed runs per query [3; quick 1].")
@click.option(
    "--clickhouse-dsn",
    help="ClickHouse DSN, http://… or chdb:///abs/dir [UGC_COMPARE_CLICKHOUSE_DSN; "
    "default: a fresh in-process chdb directory].",
)
@click.option(
    "--vertica-dsn", help="vertica://user:password@host:5433/db [UGC_COMPARE_VERTICA_DSN]."
)
@click.option("--out", type=click.Path(path_type=Path),
              help="Report directory [var/compare/<UTC time>].")  # fmt: skip
def bench_compare(
    *,
    rows: int | None,
    stores: str,
    quick: bool,
    seed: int,
    batches: int | None,
    users: int | None,
    mixed_seconds: float | None,
    mixed_batch: int,
    query_runs: int | None,
    clickhouse_dsn: str | None,
    vertica_dsn: str | None,
    out: Path | None,
) -> None:
    """Compare ClickHouse with PostgreSQL, DuckDB and Vertica on the UGC workload.

    Writes results.md, results.json and PNG charts to --out. A store that cannot run here
    is reported as "not run" with the reason."""
    from compare import charts, report, runner  # numpy, matplotlib: only when it runs

    settings = CompareSettings()
    settings.log_once("bench compare")
    vertica = vertica_dsn or (
        settings.compare_vertica_dsn.get_secret_value() if settings.compare_vertica_dsn else None
    )
    plan = runner.Plan(
        rows=rows or (QUICK_ROWS if quick else 10_000_000),
        seed=seed,
        stores=_stores(stores),
        batches=batches or (5 if quick else 100),
        users=users or (4 if quick else 8),
        mixed_seconds=mixed_seconds or (2.0 if quick else 30.0),
        mixed_batch=mixed_batch,
        query_runs=query_runs or (1 if quick else 3),
        command=_command(),
        quick=quick,
        clickhouse_dsn=clickhouse_dsn or settings.compare_clickhouse_dsn,
        vertica_dsn=vertica,
        pg_bindir=settings.compare_pg_bindir,
        pg_os_user=settings.compare_pg_os_user,
    )
    out = out or Path("var/compare") / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    console = Console(stderr=True)
    results = runner.run(plan, console)
    charts.draw(results, out)
    path = report.write(results, out)
    click.echo(report.markdown(results))
    click.echo(f"report: {path}")
    if not any(status.ran for status in results.statuses):
        raise UgcError("no store could run: " + "; ".join(
            f"{s.name}: {s.reason}" for s in results.statuses))  # fmt: skip


def _command() -> str:
    """The command as typed, minus secrets (a Vertica DSN's password)."""
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]]
    shown = []
    for arg in argv:
        if "://" in arg and "@" in arg:
            scheme, rest = arg.split("://", 1)
            shown.append(f"{scheme}://***@{rest.split('@', 1)[1]}")
        else:
            shown.append(arg)
    return shlex.join(shown)
