"""DuckDB, in-process, on a database file in a temporary directory.

Bulk method: each batch becomes an Arrow table (pyarrow, zero-copy for numbers) and is
inserted with `INSERT INTO … SELECT * FROM <arrow table>`, DuckDB's recommended way from
Python; one insert per batch. No index: DuckDB's own advice is to rely on its automatic
min/max zone maps (an ART index slows loading and helps only point lookups). Each session
is a cursor of the one connection (DuckDB's way to use a database from several threads).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from compare.dataset import TIMESTAMP_COLUMNS, Chunk
from compare.stores.base import (
    COMPLETED_PERCENT,
    MIN_RATINGS,
    PROGRESS_TABLE,
    RATING_TABLE,
    TOP_FILMS,
    StoreUnavailableError,
    TableKind,
)

_CONTEXT = """
    event_id UUID, user_id UUID, occurred_at TIMESTAMP, received_at TIMESTAMP,
    context_app VARCHAR, context_app_version VARCHAR, context_platform VARCHAR,
    context_user_agent VARCHAR, context_locale VARCHAR, context_session_id UUID,
    film_id UUID,"""
_TABLES = {
    "progress": f"({_CONTEXT} position_ms BIGINT, duration_ms BIGINT)",
    "ratings": f"({_CONTEXT} score INTEGER)",
}
_VIEWS = f"""
    SELECT user_id, film_id, max(position_ms) AS furthest, max(duration_ms) AS duration
    FROM {PROGRESS_TABLE} GROUP BY user_id, film_id"""
_COMPLETED = f"count(*) FILTER (WHERE furthest * 100 >= duration * {COMPLETED_PERCENT})"
QUERIES = {
    "watch_time_per_film": f"SELECT film_id, sum(furthest) FROM ({_VIEWS}) GROUP BY film_id",
    "last_position_per_user_film": f"""
        SELECT user_id, film_id, position_ms FROM {PROGRESS_TABLE}
        QUALIFY row_number() OVER (
            PARTITION BY user_id, film_id ORDER BY occurred_at DESC, position_ms DESC) = 1""",
    "daily_active_users": f"""
        SELECT CAST(occurred_at AS DATE) AS day, count(DISTINCT user_id)
        FROM {PROGRESS_TABLE} GROUP BY day ORDER BY day""",
    "completion_rate_per_film": f"""
        SELECT film_id, count(*), {_COMPLETED}, {_COMPLETED}::DOUBLE / count(*)
        FROM ({_VIEWS}) GROUP BY film_id""",
    "top_films_by_rating": f"""
        SELECT film_id, count(*) AS ratings, sum(score)::DOUBLE / count(*) AS average
        FROM (SELECT film_id, score FROM {RATING_TABLE}
              QUALIFY row_number() OVER (
                  PARTITION BY user_id, film_id ORDER BY occurred_at DESC, score DESC) = 1)
        GROUP BY film_id HAVING count(*) >= {MIN_RATINGS}
        ORDER BY average DESC, CAST(film_id AS VARCHAR) LIMIT {TOP_FILMS}""",
}
_LAST_POSITION = f"""
    SELECT position_ms FROM {PROGRESS_TABLE} WHERE user_id = ? AND film_id = ?
    ORDER BY occurred_at DESC, position_ms DESC LIMIT 1"""


def arrow_table(chunk: Chunk) -> Any:
    arrays = {
        name: pa.array(values, type=pa.timestamp("ms")) if name in TIMESTAMP_COLUMNS
        else pa.array(values)
        for name, values in chunk.columns.items()
    }  # fmt: skip
    return pa.table(arrays)


class DuckDBSession:
    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def insert(self, table: str, chunk: Chunk) -> None:
        batch = arrow_table(chunk)
        self.cursor.register("batch", batch)
        try:
            names = ", ".join(chunk.columns)
            self.cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM batch")
        finally:
            self.cursor.unregister("batch")

    def last_position(self, user_id: str, film_id: str) -> int | None:
        row = self.cursor.execute(_LAST_POSITION, [user_id, film_id]).fetchone()
        return int(row[0]) if row else None

    def query(self, name: str) -> list[tuple[Any, ...]]:
        return list(self.cursor.execute(QUERIES[name]).fetchall())


class DuckDBStore:
    name = "duckdb"
    method = (
        "pyarrow table per batch, `INSERT INTO … SELECT * FROM <arrow>` (in-process, database file)"
    )
    notes = "no index (zone maps only), default settings (threads = cores)"

    def __init__(self, path: Path) -> None:
        try:
            import duckdb
        except ImportError as exc:
            raise StoreUnavailableError("the duckdb package is not installed") from exc
        self.connection = duckdb.connect(str(path))
        self._version = duckdb.__version__

    def version(self) -> str:
        return f"DuckDB {self._version} (in-process)"

    def create(self, table: str, kind: TableKind) -> None:
        self.connection.execute(f"DROP TABLE IF EXISTS {table}")
        self.connection.execute(f"CREATE TABLE {table} {_TABLES[kind]}")

    def after_load(self) -> None:
        self.connection.execute("CHECKPOINT")

    @contextlib.contextmanager
    def session(self) -> Iterator[DuckDBSession]:
        cursor = self.connection.cursor()
        try:
            yield DuckDBSession(cursor)
        finally:
            cursor.close()

    def close(self) -> None:
        self.connection.close()
