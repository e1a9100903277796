"""PostgreSQL, started by the harness (`postgres_server`), loaded and queried the PostgreSQL way.

Bulk method: `COPY … FROM STDIN` in text format through psycopg 3, one COPY per batch in
its own transaction (autocommit). The dataset table is loaded without indexes and gets its
B-tree on (user_id, film_id, occurred_at) and `ANALYZE` afterwards, as PostgreSQL's manual
advises for bulk loads; the batch-size table carries the index from the start, like a live
table. "Latest" is `DISTINCT ON … ORDER BY … DESC`, the player's read is an index scan.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg

from compare.dataset import TIMESTAMP_COLUMNS, Chunk
from compare.stores.base import (
    BATCH_TABLE,
    COMPLETED_PERCENT,
    MIN_RATINGS,
    PROGRESS_TABLE,
    RATING_TABLE,
    TOP_FILMS,
    StoreUnavailableError,
    TableKind,
)
from compare.stores.postgres_server import SERVER_SETTINGS, PostgresServer, find_bindir

_CONTEXT = """
    event_id uuid NOT NULL,
    user_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    context_app text NOT NULL,
    context_app_version text NOT NULL,
    context_platform text NOT NULL,
    context_user_agent text,
    context_locale text,
    context_session_id uuid,
    film_id uuid NOT NULL,"""
_TABLES = {
    "progress": f"({_CONTEXT} position_ms bigint NOT NULL, duration_ms bigint NOT NULL)",
    "ratings": f"({_CONTEXT} score integer NOT NULL)",
}
_INDEX = "CREATE INDEX ON {table} (user_id, film_id, occurred_at)"
_VIEWS = f"""
    SELECT user_id, film_id, max(position_ms) AS furthest, max(duration_ms) AS duration
    FROM {PROGRESS_TABLE} GROUP BY user_id, film_id"""
_COMPLETED = f"count(*) FILTER (WHERE furthest * 100 >= duration * {COMPLETED_PERCENT})"
QUERIES = {
    "watch_time_per_film": f"SELECT film_id, sum(furthest) FROM ({_VIEWS}) v GROUP BY film_id",
    "last_position_per_user_film": f"""
        SELECT DISTINCT ON (user_id, film_id) user_id, film_id, position_ms
        FROM {PROGRESS_TABLE} ORDER BY user_id, film_id, occurred_at DESC, position_ms DESC""",
    "daily_active_users": f"""
        SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, count(DISTINCT user_id)
        FROM {PROGRESS_TABLE} GROUP BY day ORDER BY day""",
    "completion_rate_per_film": f"""
        SELECT film_id, count(*), {_COMPLETED}, {_COMPLETED}::float8 / count(*)
        FROM ({_VIEWS}) v GROUP BY film_id""",
    "top_films_by_rating": f"""
        SELECT film_id, count(*) AS ratings, sum(score)::float8 / count(*) AS average
        FROM (SELECT DISTINCT ON (user_id, film_id) film_id, score FROM {RATING_TABLE}
              ORDER BY user_id, film_id, occurred_at DESC, score DESC) latest
        GROUP BY film_id HAVING count(*) >= {MIN_RATINGS}
        ORDER BY average DESC, film_id::text LIMIT {TOP_FILMS}""",
}
_LAST_POSITION = f"""
    SELECT position_ms FROM {PROGRESS_TABLE} WHERE user_id = %s AND film_id = %s
    ORDER BY occurred_at DESC, position_ms DESC LIMIT 1"""
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(chunk: Chunk, null: str = r"\N") -> bytes:
    """The rows in COPY's text format: tab-separated, `null` for null, UTC ISO timestamps."""
    columns: list[list[str]] = []
    for name, values in chunk.columns.items():
        if name in TIMESTAMP_COLUMNS:
            stamps = np.asarray(values, dtype="datetime64[ms]")
            columns.append(np.datetime_as_string(stamps, unit="ms").tolist())
        elif isinstance(values, list):
            columns.append(_copy_strings(values, null))
        else:
            columns.append([str(v) for v in values.tolist()])
    lines = map("\t".join, zip(*columns, strict=True))
    return ("\n".join(lines) + "\n").encode()


def _copy_strings(values: list[str | None], null: str) -> list[str]:
    present = [v for v in values if v is not None]
    if _SPECIAL.search("".join(present)):  # escape only when needed: most columns never do
        present = [v.translate(_ESCAPES) for v in present]
    if len(present) == len(values):
        return present
    shown = iter(present)
    return [null if v is None else next(shown) for v in values]


class PostgresSession:
    """One psycopg connection (autocommit), used by one thread."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    def insert(self, table: str, chunk: Chunk) -> None:
        payload = copy_text(chunk)
        names = ", ".join(chunk.columns)
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            copy.write(payload)

    def last_position(self, user_id: str, film_id: str) -> int | None:
        row = self.connection.execute(_LAST_POSITION, (user_id, film_id), prepare=True).fetchone()
        return int(row[0]) if row else None

    def query(self, name: str) -> list[tuple[Any, ...]]:
        return self.connection.execute(QUERIES[name]).fetchall()


class PostgresStore:
    name = "postgresql"
    method = (
        "psycopg 3 `COPY … FROM STDIN` (text format), one COPY per batch in its own "
        "transaction; dataset table indexed and ANALYZEd after the load"
    )

    def __init__(self, bindir: str | None = None, os_user: str | None = None) -> None:
        self.server = PostgresServer(find_bindir(bindir), os_user)
        try:
            self.server.start()
            self.connection = self._connect()
        except BaseException:
            self.server.stop()
            raise
        settings = ", ".join(f"{k}={v}" for k, v in SERVER_SETTINGS.items())
        self.notes = (
            f"server started by the harness, Unix socket; {settings}; otherwise defaults "
            "(fsync and synchronous_commit on, logged tables); B-tree on "
            "(user_id, film_id, occurred_at)"
        )

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.server.conninfo, autocommit=True, options="-c timezone=UTC")
        except psycopg.Error as exc:
            raise StoreUnavailableError(
                f"cannot connect to the PostgreSQL it started: {exc}"
            ) from exc

    def version(self) -> str:
        row = self.connection.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"

    def create(self, table: str, kind: TableKind) -> None:
        self.connection.execute(f"DROP TABLE IF EXISTS {table}")
        self.connection.execute(f"CREATE TABLE {table} {_TABLES[kind]}")
        if table == BATCH_TABLE:
            self.connection.execute(_INDEX.format(table=table))

    def after_load(self) -> None:
        self.connection.execute(_INDEX.format(table=PROGRESS_TABLE))
        self.connection.execute(f"ANALYZE {PROGRESS_TABLE}")
        self.connection.execute(f"ANALYZE {RATING_TABLE}")

    @contextlib.contextmanager
    def session(self) -> Iterator[PostgresSession]:
        connection = self._connect()
        try:
            yield PostgresSession(connection)
        finally:
            connection.close()

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            self.server.stop()
