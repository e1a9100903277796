"""What the harness asks of a store, and how a store says it cannot run.

A `Store` is opened by its module's `open_*` function, which raises `StoreUnavailableError` with a
reason a person can act on (no binaries, no DSN, no driver) instead of letting the harness
skip it silently. A store hands out `Session`s, one per thread: the mixed workload runs
each writer and reader on its own session, as separate clients would.

Tables: `film_progress` (the dataset), `film_rating` (the ratings table) and
`film_progress_batches` (where the batch-size runs write, same definition as
`film_progress`, so the dataset the queries read is exactly the generated one).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

from compare.dataset import Chunk

TableKind = Literal["progress", "ratings"]
PROGRESS_TABLE = "film_progress"
RATING_TABLE = "film_rating"
BATCH_TABLE = "film_progress_batches"
QUERY_NAMES = (
    "watch_time_per_film",
    "last_position_per_user_film",
    "daily_active_users",
    "completion_rate_per_film",
    "top_films_by_rating",
)
MIN_RATINGS = 10
TOP_FILMS = 10
COMPLETED_PERCENT = 90


class StoreUnavailableError(Exception):
    """The store cannot run on this machine now; the message says why."""


class Session(Protocol):
    """One client connection, used by one thread at a time."""

    def insert(self, table: str, chunk: Chunk) -> None:
        """Write the rows with the store's bulk method; return once the store acknowledged."""

    def last_position(self, user_id: str, film_id: str) -> int | None:
        """The position of the user's latest progress event in the film (the player's read)."""

    def query(self, name: str) -> list[tuple[Any, ...]]:
        """Run one of QUERY_NAMES and fetch every row."""


class Store(Protocol):
    """A database under test, with the text the report prints about it."""

    name: str
    method: str
    notes: str

    def version(self) -> str: ...

    def create(self, table: str, kind: TableKind) -> None:
        """(Re)create an empty table; `film_progress` gets its read index in `after_load`."""

    def after_load(self) -> None:
        """What the store's practice does once a bulk load is done (index, statistics)."""

    def session(self) -> AbstractContextManager[Session]: ...

    def close(self) -> None: ...
