"""ClickHouse through the warehouse DSN (`ugc.warehouse.connect`), written the ClickHouse way.

Bulk method: clickhouse-connect's `insert` of column lists, which it sends in ClickHouse's
Native (columnar binary) format, one INSERT per batch. The DSN is either `chdb:///abs/dir`
(ClickHouse embedded in this process; every session shares the one client chdb allows per
process) or `http(s)://…` (a ClickHouse server or `ugc warehouse serve`; one client per
session). The harness works in its own database, `ugc_compare`, which it drops first.

Tables are MergeTree ordered by (user_id, film_id, occurred_at): the sort key is the index
that the player's "last position" read uses. Queries use ClickHouse's own functions
(`argMax` for "latest", `uniqExact`, `countIf`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from clickhouse_connect.driver.client import Client

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
from ugc.errors import WarehouseError
from ugc.warehouse import connect, embedded_path

DATABASE = "ugc_compare"
_CONTEXT = """
    event_id UUID,
    user_id UUID,
    occurred_at DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    context_app LowCardinality(String),
    context_app_version LowCardinality(String),
    context_platform LowCardinality(String),
    context_user_agent Nullable(String),
    context_locale LowCardinality(Nullable(String)),
    context_session_id Nullable(UUID),
    film_id UUID,"""
_TABLES = {
    "progress": f"({_CONTEXT} position_ms Int64, duration_ms Int64)"
    " ENGINE = MergeTree ORDER BY (user_id, film_id, occurred_at)",
    "ratings": f"({_CONTEXT} score Int32)"
    " ENGINE = MergeTree ORDER BY (film_id, user_id, occurred_at)",
}
_P = f"{DATABASE}.{PROGRESS_TABLE}"
_R = f"{DATABASE}.{RATING_TABLE}"
_VIEWS = f"""
    SELECT user_id, film_id, max(position_ms) AS furthest, max(duration_ms) AS duration
    FROM {_P} GROUP BY user_id, film_id"""
QUERIES = {
    "watch_time_per_film": f"SELECT film_id, sum(furthest) FROM ({_VIEWS}) GROUP BY film_id",
    "last_position_per_user_film": f"""
        SELECT user_id, film_id, argMax(position_ms, (occurred_at, position_ms))
        FROM {_P} GROUP BY user_id, film_id""",
    "daily_active_users": f"""
        SELECT toDate(occurred_at) AS day, uniqExact(user_id) FROM {_P}
        GROUP BY day ORDER BY day""",
    "completion_rate_per_film": f"""
        SELECT film_id, count() AS viewers,
               countIf(furthest * 100 >= duration * {COMPLETED_PERCENT}) AS completed,
               completed / viewers
        FROM ({_VIEWS}) GROUP BY film_id""",
    "top_films_by_rating": f"""
        SELECT film_id, count() AS ratings, sum(score) / count() AS average
        FROM (SELECT user_id, film_id, argMax(score, (occurred_at, score)) AS score
              FROM {_R} GROUP BY user_id, film_id)
        GROUP BY film_id HAVING ratings >= {MIN_RATINGS}
        ORDER BY average DESC, toString(film_id) LIMIT {TOP_FILMS}""",
}
_LAST_POSITION = f"""
    SELECT position_ms FROM {_P} WHERE user_id = {{user:UUID}} AND film_id = {{film:UUID}}
    ORDER BY occurred_at DESC, position_ms DESC LIMIT 1"""
_TIMES = ("occurred_at", "received_at")


class ClickHouseSession:
    """A clickhouse-connect client used by one thread."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def insert(self, table: str, chunk: Chunk) -> None:
        names = list(chunk.columns)
        # clickhouse-connect writes DateTime64 from Python ints only, not numpy integers.
        data: list[Any] = [
            values.tolist() if name in _TIMES and not isinstance(values, list) else values
            for name, values in chunk.columns.items()
        ]
        self.client.insert(f"{DATABASE}.{table}", data, column_names=names, column_oriented=True)

    def last_position(self, user_id: str, film_id: str) -> int | None:
        rows = self.client.query(
            _LAST_POSITION, parameters={"user": user_id, "film": film_id}
        ).result_rows
        return int(rows[0][0]) if rows else None

    def query(self, name: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.client.query(QUERIES[name]).result_rows]


class ClickHouseStore:
    name = "clickhouse"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.embedded = embedded_path(dsn) is not None
        try:
            self.client = connect(dsn, role="bench-compare")
            self.client.command(f"DROP DATABASE IF EXISTS {DATABASE}")
            self.client.command(f"CREATE DATABASE {DATABASE}")
        except WarehouseError as exc:
            raise StoreUnavailableError(str(exc)) from exc
        where = "in-process chdb" if self.embedded else "a ClickHouse HTTP endpoint"
        self.method = (
            "clickhouse-connect `insert` of column lists (Native format), one INSERT per "
            f"batch, into MergeTree ({where})"
        )
        self.notes = (
            "MergeTree ORDER BY (user_id, film_id, occurred_at); default settings "
            "(inserts are acknowledged without fsync, ClickHouse's default)"
        )

    def version(self) -> str:
        kind = "chdb, in-process" if self.embedded else "HTTP"
        return f"ClickHouse {self.client.server_version} ({kind})"

    def create(self, table: str, kind: TableKind) -> None:
        self.client.command(f"DROP TABLE IF EXISTS {DATABASE}.{table}")
        self.client.command(f"CREATE TABLE {DATABASE}.{table} {_TABLES[kind]}")

    def after_load(self) -> None:
        """Nothing: the sort key is built as parts are written; merges run in the background."""

    @contextlib.contextmanager
    def session(self) -> Iterator[ClickHouseSession]:
        if self.embedded:
            yield ClickHouseSession(self.client)
            return
        client = connect(self.dsn, role="bench-compare")
        try:
            yield ClickHouseSession(client)
        finally:
            client.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.command(f"DROP DATABASE IF EXISTS {DATABASE}")
        if not self.embedded:
            self.client.close()
