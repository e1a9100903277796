"""HTTP sessions (`session_id`): the `SET` and `USE` statements a session has run.

ClickHouse keeps a session's settings and current database between requests. Here each
request runs on a fresh chdb connection, so a session is the list of state-changing
statements it ran successfully, replayed in order at the start of its next request. One
request at a time per session (a second concurrent one gets SESSION_IS_LOCKED, as in
ClickHouse); an idle session expires after its `session_timeout` (default 60 s, at most
3600 s). Temporary tables do not outlive the request that created them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ugc.warehouse.exceptions import Code, raised

DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 3600.0
_MAX_STATEMENTS = 1000


@dataclass
class Session:
    statements: list[str] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT
    last_used: float = field(default_factory=time.monotonic)
    busy: bool = False

    def remember(self, statement: str) -> None:
        """Keep a successful SET/USE for the next requests of this session."""
        if len(self.statements) >= _MAX_STATEMENTS:
            del self.statements[0]
        self.statements.append(statement)


class Sessions:
    """The open sessions, keyed by (user, session_id) as in ClickHouse."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], Session] = {}
        self._guard = threading.Lock()

    @contextmanager
    def use(
        self, user: str, session_id: str, *, timeout: str | None, check: bool, close: bool = False
    ) -> Iterator[Session]:
        """Hold the session for one request; `close` ends it afterwards (close_session=1)."""
        seconds = _timeout(timeout)
        key = (user, session_id)
        with self._guard:
            self._expire()
            session = self._sessions.get(key)
            if session is None:
                if check:
                    raise raised(Code.SESSION_NOT_FOUND, f"Session {session_id} not found")
                session = self._sessions[key] = Session(timeout=seconds)
            if session.busy:
                raise raised(
                    Code.SESSION_IS_LOCKED,
                    f"Session {session_id} is locked by a concurrent client",
                )
            session.busy = True
            session.timeout = seconds
        try:
            yield session
        finally:
            with self._guard:
                session.busy = False
                session.last_used = time.monotonic()
                if close:
                    self._sessions.pop(key, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for key, session in list(self._sessions.items()):
            if not session.busy and now - session.last_used > session.timeout:
                del self._sessions[key]

    def __len__(self) -> int:
        with self._guard:
            return len(self._sessions)


def _timeout(value: str | None) -> float:
    if value is None or value == "":
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise raised(Code.INVALID_SESSION_TIMEOUT, f"Invalid session timeout: '{value}'") from None
    if seconds < 0 or seconds > MAX_TIMEOUT:
        raise raised(
            Code.INVALID_SESSION_TIMEOUT,
            f"Session timeout '{value}' is larger than max_session_timeout: {MAX_TIMEOUT:.0f}",
        )
    return seconds
