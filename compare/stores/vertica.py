"""Vertica through vertica-python, only when a DSN names a server.

No Vertica server can be installed on this machine (it is not on PyPI or Debian), so
without `--vertica-dsn` / `UGC_COMPARE_VERTICA_DSN` the store is reported "not run", and
vertica-python is an optional extra (`pip install -e '.[vertica]'`). This adapter has not
been run against a server here; the report says so when it does run.

Bulk method: `COPY … FROM STDIN` through `cursor.copy`, one COPY per batch (tab-separated,
empty field = NULL). Tables carry their projection order in `ORDER BY` (user_id, film_id,
occurred_at); "latest" is Vertica's `LIMIT 1 OVER (PARTITION BY … ORDER BY …)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from compare.dataset import Chunk
from compare.stores.base import (
    COMPLETED_PERCENT,
    MIN_RATINGS,
    PROGRESS_TABLE,
    RATING_TABLE,
    TOP_FILMS,
    StoreUnavailableError,
    TableKind,
)
from compare.stores.postgres import copy_text

SCHEMA = "ugc_compare"
_CONTEXT = """
    event_id UUID, user_id UUID, occurred_at TIMESTAMP, received_at TIMESTAMP,
    context_app VARCHAR(64), context_app_version VARCHAR(32), context_platform VARCHAR(16),
    context_user_agent VARCHAR(512), context_locale VARCHAR(16), context_session_id UUID,
    film_id UUID,"""
_TABLES = {
    "progress": f"({_CONTEXT} position_ms INT, duration_ms INT)"
    " ORDER BY user_id, film_id, occurred_at SEGMENTED BY HASH(user_id) ALL NODES",
    "ratings": f"({_CONTEXT} score INT)"
    " ORDER BY film_id, user_id, occurred_at SEGMENTED BY HASH(user_id) ALL NODES",
}
_P, _R = f"{SCHEMA}.{PROGRESS_TABLE}", f"{SCHEMA}.{RATING_TABLE}"
_VIEWS = f"""
    SELECT user_id, film_id, MAX(position_ms) AS furthest, MAX(duration_ms) AS duration
    FROM {_P} GROUP BY user_id, film_id"""
_COMPLETED = f"SUM(CASE WHEN furthest * 100 >= duration * {COMPLETED_PERCENT} THEN 1 ELSE 0 END)"
QUERIES = {
    "watch_time_per_film": f"SELECT film_id, SUM(furthest) FROM ({_VIEWS}) v GROUP BY film_id",
    "last_position_per_user_film": f"""
        SELECT user_id, film_id, position_ms FROM {_P}
        LIMIT 1 OVER (PARTITION BY user_id, film_id ORDER BY occurred_at DESC, position_ms DESC)""",
    "daily_active_users": f"""
        SELECT occurred_at::DATE AS day, COUNT(DISTINCT user_id) FROM {_P}
        GROUP BY 1 ORDER BY 1""",
    "completion_rate_per_film": f"""
        SELECT film_id, COUNT(*), {_COMPLETED}, {_COMPLETED}::FLOAT / COUNT(*)
        FROM ({_VIEWS}) v GROUP BY film_id""",
    "top_films_by_rating": f"""
        SELECT film_id, COUNT(*) AS ratings, SUM(score)::FLOAT / COUNT(*) AS average
        FROM (SELECT film_id, score FROM {_R}
              LIMIT 1 OVER (PARTITION BY user_id, film_id ORDER BY occurred_at DESC, score DESC)
             ) latest
        GROUP BY film_id HAVING COUNT(*) >= {MIN_RATINGS}
        ORDER BY average DESC, film_id::VARCHAR LIMIT {TOP_FILMS}""",
}
_LAST_POSITION = f"""
    SELECT position_ms FROM {_P} WHERE user_id = %s AND film_id = %s
    ORDER BY occurred_at DESC, position_ms DESC LIMIT 1"""


def vertica_options(dsn: str) -> dict[str, Any]:
    parts = urlsplit(dsn)
    if parts.scheme != "vertica" or not parts.hostname:
        raise StoreUnavailableError(
            f"a Vertica DSN looks like vertica://user:password@host:5433/db, not {parts.scheme}://…"
        )
    return {
        "host": parts.hostname,
        "port": parts.port or 5433,
        "user": unquote(parts.username or "dbadmin"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/") or "",
        "autocommit": True,
    }


def open_vertica(dsn: str | None) -> VerticaStore:
    if not dsn:
        raise StoreUnavailableError(
            "no Vertica DSN given (--vertica-dsn or UGC_COMPARE_VERTICA_DSN); "
            "no Vertica server can be installed on this machine"
        )
    try:
        import vertica_python
    except ImportError as exc:
        raise StoreUnavailableError(
            "vertica-python is not installed: pip install -e '.[vertica]'"
        ) from exc
    return VerticaStore(vertica_python, vertica_options(dsn))


class VerticaSession:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def insert(self, table: str, chunk: Chunk) -> None:
        payload = copy_text(chunk, null="")
        names = ", ".join(chunk.columns)
        with self.connection.cursor() as cursor:
            cursor.copy(
                f"COPY {SCHEMA}.{table} ({names}) FROM STDIN DELIMITER E'\\t' NULL '' "
                "ABORT ON ERROR",
                payload,
            )

    def last_position(self, user_id: str, film_id: str) -> int | None:
        with self.connection.cursor() as cursor:
            cursor.execute(_LAST_POSITION, (user_id, film_id))
            row = cursor.fetchone()
        return int(row[0]) if row else None

    def query(self, name: str) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(QUERIES[name])
            return [tuple(row) for row in cursor.fetchall()]


class VerticaStore:
    name = "vertica"
    method = "vertica-python `cursor.copy` of `COPY … FROM STDIN` (delimited text), one per batch"
    notes = "projections ORDER BY (user_id, film_id, occurred_at); adapter untested on this machine"

    def __init__(self, driver: Any, options: dict[str, Any]) -> None:
        self.driver, self.options = driver, options
        try:
            self.connection = driver.connect(**options)
        except driver.errors.Error as exc:
            raise StoreUnavailableError(
                f"cannot reach Vertica at {options['host']}: {exc}"
            ) from exc
        self._execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        self._execute(f"CREATE SCHEMA {SCHEMA}")

    def _execute(self, sql: str) -> list[Any]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

    def version(self) -> str:
        return str(self._execute("SELECT version()")[0][0])

    def create(self, table: str, kind: TableKind) -> None:
        self._execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table}")
        self._execute(f"CREATE TABLE {SCHEMA}.{table} {_TABLES[kind]}")

    def after_load(self) -> None:
        self._execute(f"SELECT ANALYZE_STATISTICS('{SCHEMA}')")

    @contextlib.contextmanager
    def session(self) -> Iterator[VerticaSession]:
        connection = self.driver.connect(**self.options)
        try:
            yield VerticaSession(connection)
        finally:
            connection.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        self.connection.close()
