"""The ingest service: validate events, write them to Kafka, say where they landed.

Route handlers parse HTTP and call `IngestService`; it knows nothing about Flask. A batch is
validated whole before anything is produced, so a 422 means nothing reached Kafka; then all
its events are produced at once and the answer waits for every acknowledgement.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registry.client.avro.names import json_type
from services.api.catalog.event_types import EventCatalog, EventType
from services.api.errors import InvalidEventError, UnknownEventTypeError
from services.api.metrics import ApiMetrics
from services.api.producer import EventProducer, OutgoingMessage
from services.api.validation import EncodedEvent, EventEncoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    """An event Kafka acknowledged: the 202's body."""

    event_id: str
    topic: str
    partition: int
    offset: int

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
        }


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IngestService:
    def __init__(
        self,
        catalog: EventCatalog,
        producer: EventProducer,
        metrics: ApiMetrics,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.catalog = catalog
        self.producer = producer
        self.metrics = metrics
        self.encoder = EventEncoder()
        self._clock = clock

    def accept(
        self, event_type: EventType, payload: Any, *, user_id: str, idempotency_key: str | None
    ) -> Accepted:
        """One event of a type from `catalog.get` (the route looks it up before reading
        the body, so an unknown type is a 404 whatever the body is)."""
        encoded = self.encoder.encode(
            event_type,
            payload,
            user_id=user_id,
            received_at=self._clock(),
            idempotency_key=idempotency_key,
        )
        return self._produce([encoded])[0]

    def accept_batch(
        self, items: Sequence[Any], *, user_id: str, idempotency_key: str | None
    ) -> list[Accepted]:
        received_at = self._clock()
        encoded: list[EncodedEvent] = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            key = f"{idempotency_key}:{index}" if idempotency_key else None
            try:
                encoded.append(self._encode_item(item, user_id, received_at, key))
            except InvalidEventError as exc:
                errors.extend({"index": index, **error} for error in exc.errors)
        if errors:
            raise InvalidEventError(errors)
        return self._produce(encoded)

    def _encode_item(
        self, item: Any, user_id: str, received_at: datetime, key: str | None
    ) -> EncodedEvent:
        if not isinstance(item, dict):
            message = f'expected {{"type": ..., "event": {{...}}}}, got {json_type(item)}'
            raise InvalidEventError([{"path": "", "message": message}])
        strangers = sorted(set(item) - {"type", "event"})
        problems = [{"path": name, "message": "unknown field"} for name in strangers]
        if not isinstance(item.get("type"), str):
            problems.append({"path": "type", "message": "required: the event type's name"})
        if "event" not in item:
            problems.append({"path": "event", "message": "required field is missing"})
        if problems:
            raise InvalidEventError(problems)
        try:
            known = self.catalog.get(item["type"])
        except UnknownEventTypeError as exc:
            raise InvalidEventError([{"path": "type", "message": exc.message}]) from None
        try:
            return self.encoder.encode(
                known,
                item["event"],
                user_id=user_id,
                received_at=received_at,
                idempotency_key=key,
            )
        except InvalidEventError as exc:
            raise InvalidEventError(
                [{**e, "path": ".".join(p for p in ("event", e["path"]) if p)} for e in exc.errors]
            ) from None

    def _produce(self, events: list[EncodedEvent]) -> list[Accepted]:
        messages = [
            OutgoingMessage(e.event_type.topic, e.user_id.encode(), e.value) for e in events
        ]
        started = time.perf_counter()
        deliveries = self.producer.send(messages)
        self.metrics.produce_latency.observe(time.perf_counter() - started)
        for name, count in Counter(event.event_type.name for event in events).items():
            self.metrics.events_accepted(name, count)
        return [
            Accepted(event.event_id, d.topic, d.partition, d.offset)
            for event, d in zip(events, deliveries, strict=True)
        ]
