"""The embedded ClickHouse behind the server: one chdb directory, one connection per request.

The engine claims the directory (`ownership`) for the process's life and keeps one chdb
connection open so the embedded server stays up. Every request gets a fresh connection
(about 0.4 ms to open on this machine): chdb keeps `SET` and `USE` state per connection and
runs one statement per connection at a time, so a fresh one isolates a request's settings
and lets requests run side by side (chdb releases the GIL while it executes). The engine
also tracks the query ids that are running, as ClickHouse does, to refuse a duplicate.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from chdb.state.sqlitelike import Connection

from ugc.errors import WarehouseError
from ugc.warehouse import ownership
from ugc.warehouse.exceptions import ClickHouseError, Code, from_chdb, raised

log = logging.getLogger(__name__)

_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def set_statement(settings: dict[str, str]) -> str:
    """`SET a = 'x', b = 'y'`; a name that is no identifier is an unknown setting."""
    for name in settings:
        if not _SETTING_NAME.match(name):
            raise ClickHouseError(
                115, "UNKNOWN_SETTING", f"Unknown setting '{name}'. (UNKNOWN_SETTING)"
            )
    return "SET " + ", ".join(f"{k} = {quote_literal(v)}" for k, v in settings.items())


class Engine:
    """The chdb directory this process owns, and the queries running on it."""

    def __init__(self, path: Path, *, role: str = "warehouse") -> None:
        self.path = path
        self._lock_file: IO[str] | None = ownership.claim(path, role)
        try:
            self._anchor = Connection(str(path))
            row = str(self._anchor.query("SELECT timezone(), version()", "TSV")).strip()
        except Exception as exc:
            self._lock_file.close()
            raise WarehouseError(f"cannot open the embedded warehouse at {path}: {exc}") from exc
        self.timezone, self.version = row.split("\t")
        self._running: set[str] = set()
        self._guard = threading.Lock()

    def connection(self, preamble: list[str]) -> Connection:
        """A fresh connection with `preamble` (USE/SET statements) applied, in order."""
        conn = Connection(str(self.path))
        try:
            for statement in preamble:
                conn.query(statement, "TSV")
        except Exception as exc:
            conn.close()
            raise from_chdb(exc) from exc
        return conn

    @contextmanager
    def running(self, query_id: str) -> Iterator[None]:
        """Mark `query_id` as running; a second query with the same id is refused."""
        with self._guard:
            if query_id in self._running:
                raise raised(
                    Code.QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING,
                    f"Query with id = {query_id} is already running",
                )
            self._running.add(query_id)
        try:
            yield
        finally:
            with self._guard:
                self._running.discard(query_id)

    def running_count(self) -> int:
        with self._guard:
            return len(self._running)

    def close(self) -> None:
        self._anchor.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
