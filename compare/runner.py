"""One comparison run, in the order that keeps it honest.

1. Open every store asked for; one that cannot run is recorded as "not run" with why.
2. Per store, one at a time (they share the machine): a warm-up, the batch-size writes,
   the whole dataset loaded, then every query answered once.
3. Cross-check: all stores must give the same answers (and the same player reads), or
   the run stops with `AnswersDisagreeError` before anything is timed.
4. Per store: the queries timed, then the mixed workload (last: it writes into the
   dataset table, so no answer is read after it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from compare import STORES, answers, workload
from compare.dataset import Catalogue
from compare.machine import describe_machine, load_average
from compare.stores.base import QUERY_NAMES, Session, Store, StoreUnavailableError

BATCH_SIZES = (10, 100, 1_000, 10_000)


@dataclass(frozen=True)
class Plan:
    """Everything that decides what a run does; recorded beside its results."""

    rows: int
    seed: int
    stores: tuple[str, ...]
    batches: int
    users: int
    mixed_seconds: float
    mixed_batch: int
    query_runs: int
    command: str
    quick: bool = False
    clickhouse_dsn: str | None = None
    vertica_dsn: str | None = None
    pg_bindir: str | None = None
    pg_os_user: str | None = None
    batch_sizes: tuple[int, ...] = BATCH_SIZES


@dataclass(frozen=True)
class StoreStatus:
    name: str
    ran: bool
    reason: str = ""
    version: str = ""
    method: str = ""
    notes: str = ""


@dataclass
class Results:
    plan: Plan
    machine: dict[str, str]
    started: str = ""
    finished: str = ""
    load_before: str = ""
    load_after: str = ""
    phases: list[tuple[str, str]] = field(default_factory=list)
    """(phase, load average when it began): the machine's business as the run went on."""
    statuses: list[StoreStatus] = field(default_factory=list)
    agreements: list[answers.Agreement] = field(default_factory=list)
    writes: list[workload.WriteRun] = field(default_factory=list)
    loads: list[workload.WriteRun] = field(default_factory=list)
    queries: list[workload.QueryRun] = field(default_factory=list)
    mixed: list[workload.MixedRun] = field(default_factory=list)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run(plan: Plan, console: Console) -> Results:
    results = Results(plan, describe_machine(), started=_now(), load_before=load_average())
    catalogue = Catalogue(plan.seed, plan.rows)
    with contextlib.ExitStack() as stack:
        stores = _open(plan, stack, results)
        given: dict[str, dict[str, answers.Rows]] = {}
        for store in stores:
            with store.session() as session:
                console.print(f"[bold]{store.name}[/]: writes and load")
                results.phases.append((f"{store.name}: writes and load", load_average()))
                _write_and_load(
                    store=store, session=session, catalogue=catalogue, plan=plan,
                    results=results, console=console,
                )  # fmt: skip
                given[store.name] = _answers(session, catalogue)
        results.agreements = answers.cross_check(given)
        console.print(
            f"cross-check: {len(results.agreements)} answers agree across {len(stores)} stores"
        )
        for store in stores:
            console.print(f"[bold]{store.name}[/]: queries and mixed workload")
            results.phases.append((f"{store.name}: queries and mixed", load_average()))
            with store.session() as session:
                results.queries += workload.time_queries(
                    store.name, session, QUERY_NAMES, plan.query_runs
                )
                reads = 20 if plan.quick else 500
                results.queries.append(workload.time_reads(store.name, session, catalogue, reads))
            results.mixed.append(
                workload.mixed(store, catalogue, plan.users, plan.mixed_seconds, plan.mixed_batch)
            )
    results.finished, results.load_after = _now(), load_average()
    return results


def _open(plan: Plan, stack: contextlib.ExitStack, results: Results) -> list[Store]:
    opened = []
    for name in plan.stores:
        try:
            store = _open_one(name, plan, stack)
        except StoreUnavailableError as exc:
            results.statuses.append(StoreStatus(name, ran=False, reason=str(exc)))
            continue
        stack.callback(store.close)
        results.statuses.append(
            StoreStatus(name, True, version=store.version(), method=store.method, notes=store.notes)
        )
        opened.append(store)
    return opened


def _open_one(name: str, plan: Plan, stack: contextlib.ExitStack) -> Store:
    if name == "clickhouse":
        from compare.stores.clickhouse import ClickHouseStore

        dsn = plan.clickhouse_dsn
        if dsn is None:
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="ugc-compare-ch-"))
            dsn = f"chdb://{Path(scratch) / 'clickhouse'}"
        return ClickHouseStore(dsn)
    if name == "postgresql":
        from compare.stores.postgres import PostgresStore

        return PostgresStore(bindir=plan.pg_bindir, os_user=plan.pg_os_user)
    if name == "duckdb":
        from compare.stores.duck import DuckDBStore

        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="ugc-compare-duckdb-"))
        return DuckDBStore(Path(scratch) / "ugc.duckdb")
    if name == "vertica":
        from compare.stores.vertica import open_vertica

        return open_vertica(plan.vertica_dsn)
    raise StoreUnavailableError(f"unknown store {name!r}; known: {', '.join(STORES)}")


@contextlib.contextmanager
def _progress(console: Console) -> Iterator[Progress]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=False) as progress:
        yield progress


def _write_and_load(
    *,
    store: Store,
    session: Session,
    catalogue: Catalogue,
    plan: Plan,
    results: Results,
    console: Console,
) -> None:
    workload.warm_up(store, session, catalogue)
    with _progress(console) as progress:
        for size in plan.batch_sizes:
            task = progress.add_task(
                f"{store.name}: batches of {size:,}", total=size * plan.batches
            )
            results.writes.append(
                workload.write_batches(
                    store, session, catalogue, size=size, batches=plan.batches,
                    tick=lambda n, t=task: progress.advance(t, n),  # type: ignore[misc]
                )
            )  # fmt: skip
        task = progress.add_task(f"{store.name}: dataset", total=catalogue.rows)
        results.loads.append(
            workload.load_dataset(store, session, catalogue, lambda n: progress.advance(task, n))
        )


def _answers(session: Session, catalogue: Catalogue) -> dict[str, answers.Rows]:
    given = {name: answers.normalize(name, session.query(name)) for name in QUERY_NAMES}
    reads = [(u, f, session.last_position(u, f)) for u, f in workload.read_pairs(catalogue, 100)]
    given["player_reads"] = answers.normalize("player_reads", reads)
    return given
