"""The event types the API accepts, as the registry defines them.

An event type exists when the registry has a subject `ugc.<event_type>-value`; its schema is
that subject's latest version. `EventCatalog` keeps a snapshot of all of them (schema id and
text, each checked once to be usable Avro) and refreshes it after `ttl` seconds, so a newly
registered contract is accepted without a redeploy and no request waits on the registry
while the snapshot is fresh. One thread refreshes while the others keep using the old
snapshot. When the registry cannot be reached, the old snapshot keeps serving for up to
`max_stale` seconds (default 0) — a schema id never changes meaning, so events written with
it stay correct — and after that, or with no snapshot at all, the catalog raises
RegistryDownError (503).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.conventions import TOPIC_PREFIX, event_type_of, topic_of
from registry.client.errors import RegistryError, RegistryUnavailableError
from registry.client.models import SchemaId, Subject, Version
from registry.client.protocol import SchemaRegistry
from registry.client.serdes import parse_schema
from services.api.errors import RegistryDownError, UnknownEventTypeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventType:
    """One event type with its subject's latest registered schema."""

    name: str
    topic: str
    subject: Subject
    version: Version
    schema_id: SchemaId
    schema: str

    @property
    def avro(self) -> dict[str, Any]:
        avro: dict[str, Any] = json.loads(self.schema)
        return avro


@dataclass(frozen=True)
class Snapshot:
    types: dict[str, EventType]
    loaded_at: float


class EventCatalog:
    """The registry's event types, cached for `ttl` seconds; thread-safe."""

    def __init__(
        self,
        registry: SchemaRegistry,
        *,
        ttl: float = 10.0,
        max_stale: float = 300.0,
        retry_after: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._ttl = ttl
        self._max_stale = max_stale
        self._retry_after = retry_after
        self._clock = clock
        self._snapshot: Snapshot | None = None
        self._usable: dict[SchemaId, bool] = {}  # schema ids never change meaning
        self._refreshing = threading.Lock()

    def get(self, name: str) -> EventType:
        types = self.snapshot().types
        if name not in types:
            raise UnknownEventTypeError(name, sorted(types))
        return types[name]

    def snapshot(self) -> Snapshot:
        current = self._snapshot
        now = self._clock()
        if current is not None and now - current.loaded_at < self._ttl:
            return current
        # With a snapshot in hand, a thread that finds a refresh under way does not wait.
        if current is None:
            self._refreshing.acquire()
        elif not self._refreshing.acquire(blocking=False):
            return current
        try:
            return self._refresh(current, now)
        finally:
            self._refreshing.release()

    def _refresh(self, current: Snapshot | None, now: float) -> Snapshot:
        if self._snapshot is not current and self._snapshot is not None:
            return self._snapshot  # another thread refreshed while this one waited
        try:
            fresh = Snapshot(self._load(), now)
        except RegistryUnavailableError as exc:
            if current is not None and now - current.loaded_at < self._max_stale:
                log.warning("registry unreachable, serving event types from cache: %s", exc)
                return current
            raise RegistryDownError(
                f"the schema registry is unavailable: {exc}", self._retry_after
            ) from exc
        if current is None or set(current.types) != set(fresh.types):
            log.info("event types: %s", ", ".join(sorted(fresh.types)) or "none")
        self._snapshot = fresh
        return fresh

    def _load(self) -> dict[str, EventType]:
        types = {}
        for subject in self._registry.list_subjects(TOPIC_PREFIX):
            name = event_type_of(subject)
            if name is None:
                continue
            try:
                latest = self._registry.get_latest(subject)
            except RegistryUnavailableError:
                raise
            except RegistryError as exc:  # deleted between the two calls, or not Avro
                log.warning("skipping subject %s: %s", subject, exc)
                continue
            if self._is_usable(latest.id, latest.schema):
                types[name] = EventType(
                    name, topic_of(name), subject, latest.version, latest.id, latest.schema
                )
        return types

    def _is_usable(self, schema_id: SchemaId, text: str) -> bool:
        if schema_id not in self._usable:
            try:
                parse_schema(text)
                self._usable[schema_id] = True
            except Exception as exc:  # fastavro raises several unrelated types
                log.warning("schema %d is not usable Avro, skipped: %r", schema_id, exc)
                self._usable[schema_id] = False
        return self._usable[schema_id]

    def ping(self) -> None:
        """Return if the registry answers now, else raise RegistryDownError."""
        try:
            self._registry.list_subjects(TOPIC_PREFIX)
        except RegistryUnavailableError as exc:
            raise RegistryDownError(f"the schema registry is unavailable: {exc}") from exc
