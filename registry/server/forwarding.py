"""Forwarding a write from a follower to the leader, over HTTP, as Confluent's registry does.

When the store refuses a write with `NotLeaderError`, the app sends the same request
(method, raw path and query, body, content headers, credentials) to the leader's
advertised URL and relays its answer. The leader adds the log position its answer reflects
(`POSITION_HEADER`); the follower promises its instance's later reads at least that much
(`SchemaStore.catch_up`), which is what makes a write answered through a follower visible
to the next read on any worker of the follower's instance.

A leader that cannot be reached before the request was sent (no leader yet, connection
refused: an election under way) is retried until the store timeout; then the answer is
50004 (no leader) or 50003 (forwarding failed). A request that was sent but got no answer
is never resent (a delete is not idempotent): 50002 when the leader timed out, 50003 when
the connection broke. A forwarded request is never forwarded again.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlsplit

import urllib3
from flask import Response, request
from urllib3 import exceptions as http

from registry.client.errors import ErrorCode
from registry.server import errors
from registry.server.store import SchemaStore

log = logging.getLogger(__name__)

FORWARDED_HEADER = "X-Ugc-Registry-Forwarded"
POSITION_HEADER = "X-Ugc-Registry-Position"
_PASSED_HEADERS = ("Content-Type", "Accept", "Authorization")
_RELAYED_HEADERS = ("Content-Type", "WWW-Authenticate")
_RETRY_PAUSE = 0.1


class Forwarder:
    def __init__(self, store: SchemaStore, timeout: float) -> None:
        self._store = store
        self._timeout = timeout
        # A few leaders over time (one per election), a connection per concurrent forwarded
        # write; a retry is this class's decision, never the pool's.
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=16,
            retries=False,
            timeout=urllib3.Timeout(connect=min(2.0, timeout), read=timeout),
        )

    def forward(self) -> Response:
        """The leader's answer to the current request (inside a Flask request context)."""
        if request.headers.get(FORWARDED_HEADER):
            raise errors.NotLeaderError("this registry process is not the leader")
        deadline = time.monotonic() + self._timeout
        refresh = False
        while True:
            leader = self._store.leader(refresh=refresh)
            if leader.url is None:
                problem = "no registry process is the leader (an election may be under way)"
            else:
                answer = self._send(leader.url)
                if answer is not None and not _refused_as_not_leader(answer):
                    return self._relay(answer)
                problem = f"the leader at {leader.url} did not take the request"
            if time.monotonic() >= deadline:
                if leader.url is None:
                    raise errors.LeaderUnknownError(f"Unknown leader: {problem}")
                raise errors.ForwardingError(f"Error while forwarding the request: {problem}")
            time.sleep(_RETRY_PAUSE)
            refresh = True

    def _send(self, leader_url: str) -> urllib3.BaseHTTPResponse | None:
        """The leader's answer, or None when the request could not be sent at all."""
        headers = {
            name: request.headers[name] for name in _PASSED_HEADERS if name in request.headers
        }
        headers[FORWARDED_HEADER] = "1"
        try:
            return self._pool.request(
                request.method,
                leader_url + _raw_target(),
                body=request.get_data(cache=True),
                headers=headers,
            )
        except http.ConnectTimeoutError as exc:  # also a refused connection (its subclass)
            log.info("leader at %s unreachable: %s", leader_url, exc)
            return None
        except http.TimeoutError as exc:  # a read timeout: the request was sent
            raise errors.StoreTimeoutError(
                f"The leader at {leader_url} did not answer within {self._timeout:.0f}s; the "
                "write may or may not have been applied"
            ) from exc
        except http.HTTPError as exc:
            raise errors.ForwardingError(
                f"Error while forwarding the request to the leader at {leader_url}: {exc}; the "
                "write may or may not have been applied"
            ) from exc

    def _relay(self, answer: urllib3.BaseHTTPResponse) -> Response:
        position = answer.headers.get(POSITION_HEADER)
        if position is not None and position.isdigit():
            self._store.catch_up(int(position))
        relayed = Response(answer.data, answer.status)
        for name in _RELAYED_HEADERS:
            if name in answer.headers:
                relayed.headers[name] = answer.headers[name]
        return relayed


def _raw_target() -> str:
    """Path and query exactly as the client sent them (percent-encoding intact)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return request.full_path if request.query_string else request.path
    if "://" in raw:
        parts = urlsplit(raw)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return str(raw)


def _refused_as_not_leader(answer: urllib3.BaseHTTPResponse) -> bool:
    if answer.status != 500:
        return False
    try:
        return bool(json.loads(answer.data).get("error_code") == ErrorCode.UNKNOWN_LEADER)
    except (ValueError, AttributeError):
        return False
