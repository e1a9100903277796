"""What is timed: batch-size writes, the bulk load, the analysts' queries, the mixed load.

Every timing is wall-clock around one client call that returns when the store has
acknowledged (an insert) or every row has arrived (a query), so it includes the client's
own serialisation (Native blocks, COPY text): that is part of each store's bulk method.
Generating the data is never inside a timed region. Latencies are kept per call and
reported as percentiles; throughput is rows (or reads) over the wall time of the run.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from compare import dataset
from compare.dataset import Catalogue, Chunk
from compare.stores.base import BATCH_TABLE, PROGRESS_TABLE, RATING_TABLE, Session, Store

Tick = Callable[[int], None]


@dataclass(frozen=True)
class Latency:
    """Percentiles of one kind of call, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        if not seconds:
            return cls(0, float("nan"), float("nan"), float("nan"), float("nan"))
        ms = np.asarray(seconds) * 1000
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        return cls(len(ms), float(p50), float(p95), float(p99), float(ms.max()))


@dataclass(frozen=True)
class WriteRun:
    """Inserts of `batch` rows each: into the batch table, or the whole dataset (`load`)."""

    store: str
    table: str
    batch: int
    rows: int
    seconds: float
    latency: Latency
    after_load_seconds: float | None = None

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")


@dataclass(frozen=True)
class QueryRun:
    store: str
    query: str
    rows: int
    latency: Latency


@dataclass
class MixedRun:
    """Writers and readers at once, each on its own session, for a fixed time."""

    store: str
    writers: int
    readers: int
    write_batch: int
    seconds: float = 0.0
    writes: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rows_per_s(self) -> float:
        return len(self.writes) * self.write_batch / self.seconds if self.seconds else 0.0

    @property
    def reads_per_s(self) -> float:
        return len(self.reads) / self.seconds if self.seconds else 0.0


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def fresh_batches(catalogue: Catalogue, size: int) -> Iterator[Chunk]:
    """Endless batches of `size` new progress rows (not the dataset's, whatever its size)."""
    index = 0
    while True:
        chunk = dataset.new_progress(catalogue, index, dataset.CHUNK)
        for start in range(0, dataset.CHUNK - size + 1, size):
            yield chunk.slice(start, start + size)
        index += 1


def warm_up(store: Store, session: Session, catalogue: Catalogue) -> None:
    """One untimed insert and read: the first call of a client pays for its set-up."""
    store.create(BATCH_TABLE, "progress")
    session.insert(BATCH_TABLE, next(fresh_batches(catalogue, 10)))


def write_batches(
    store: Store, session: Session, catalogue: Catalogue, *, size: int, batches: int, tick: Tick
) -> WriteRun:
    """`batches` inserts of `size` rows into a fresh batch table."""
    store.create(BATCH_TABLE, "progress")
    source = fresh_batches(catalogue, size)
    samples = []
    for _ in range(batches):
        batch = next(source)
        samples.append(_timed(lambda b=batch: session.insert(BATCH_TABLE, b)))  # type: ignore[misc]
        tick(size)
    return WriteRun(
        store.name, BATCH_TABLE, size, size * batches, sum(samples), Latency.of(samples)
    )


def load_dataset(store: Store, session: Session, catalogue: Catalogue, tick: Tick) -> WriteRun:
    """The whole dataset (progress, then ratings) in batches of `dataset.CHUNK` rows."""
    store.create(PROGRESS_TABLE, "progress")
    store.create(RATING_TABLE, "ratings")
    samples = []
    for chunk in dataset.progress(catalogue):
        samples.append(_timed(lambda c=chunk: session.insert(PROGRESS_TABLE, c)))  # type: ignore[misc]
        tick(len(chunk))
    for chunk in dataset.ratings(catalogue):
        samples.append(_timed(lambda c=chunk: session.insert(RATING_TABLE, c)))  # type: ignore[misc]
    after = _timed(store.after_load)
    rows = catalogue.rows + catalogue.rating_rows
    return WriteRun(
        store.name, "dataset", dataset.CHUNK, rows, sum(samples), Latency.of(samples), after
    )


def time_queries(store: str, session: Session, names: tuple[str, ...], runs: int) -> list[QueryRun]:
    results = []
    for name in names:
        samples, rows = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            rows = len(session.query(name))
            samples.append(time.perf_counter() - started)
        results.append(QueryRun(store, name, rows, Latency.of(samples)))
    return results


def time_reads(store: str, session: Session, catalogue: Catalogue, count: int) -> QueryRun:
    """The player's read alone (one session, nothing else running), `count` pairs in turn."""
    pairs = read_pairs(catalogue, count)
    samples = [_timed(lambda p=pair: session.last_position(*p)) for pair in pairs]  # type: ignore[misc]
    return QueryRun(store, "player_read_alone", 1, Latency.of(samples))


def read_pairs(catalogue: Catalogue, count: int = 1000) -> list[tuple[str, str]]:
    """(user, film) pairs that the dataset holds: what the mixed workload's readers ask for."""
    first = dataset.progress_chunk(catalogue, 0, min(dataset.CHUNK, catalogue.rows))
    pairs = sorted(set(zip(first.columns["user_id"], first.columns["film_id"], strict=True)))
    return random.Random(catalogue.seed).sample(pairs, min(count, len(pairs)))


Call = Callable[[Session, int], None]


def mixed(
    store: Store, catalogue: Catalogue, users: int, seconds: float, write_batch: int
) -> MixedRun:
    """Half the users write progress batches, the others read a user's last position."""
    writers = max(1, users // 2)
    run = MixedRun(store.name, writers, max(1, users - writers), write_batch)
    source = fresh_batches(catalogue, write_batch)
    pool = [next(source) for _ in range(64)]
    pairs = read_pairs(catalogue)

    def write(session: Session, i: int) -> None:
        session.insert(PROGRESS_TABLE, pool[i % len(pool)])

    def read(session: Session, i: int) -> None:
        session.last_position(*pairs[(i * 7919) % len(pairs)])

    jobs: list[tuple[Call, list[float]]] = [(write, run.writes)] * run.writers
    jobs += [(read, run.reads)] * run.readers
    run.seconds = _together(store, jobs, seconds, run.errors)
    return run


def _together(
    store: Store, jobs: list[tuple[Call, list[float]]], seconds: float, errors: list[str]
) -> float:
    """Run every job in its own thread and session, all started at once, for `seconds`;
    each job's latencies go to its list, failures to `errors`. Returns the wall time."""
    stop = threading.Event()
    start = threading.Barrier(len(jobs) + 1)
    lock = threading.Lock()

    def work(call: Call, out: list[float], first: int) -> None:
        try:
            with store.session() as session:
                start.wait()
                mine, i = [], first
                while not stop.is_set():
                    mine.append(_timed(lambda: call(session, i)))  # noqa: B023
                    i += 1
                with lock:
                    out.extend(mine)
        except threading.BrokenBarrierError:
            return  # another thread failed to start; its error is the one reported
        except Exception as exc:  # reported in the results, never hidden
            stop.set()
            start.abort()
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [
        threading.Thread(target=work, args=(call, out, k * 131))
        for k, (call, out) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    started = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started
