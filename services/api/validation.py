"""From a client's JSON payload to the Avro bytes that go to Kafka.

The payload is read with the marshmallow schema that `registry.client.payload` builds from
the event type's registered Avro schema (one loader per schema id, built once), then the
server completes it: `user_id` from the token, `received_at` from its clock, and `event_id`
— the event's idempotency key from here to ClickHouse — from the payload, else from the
`Idempotency-Key` header, else a new uuid4. A header that is a UUID is used as it is; any
other text is turned into a UUID deterministically (uuid5 of the user and the key), so a
client retrying with the same key gets the same event_id. Problems come back as
InvalidEventError listing every one, each with its field path.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError

from registry.client import wire
from registry.client.avro_writer import Encoder, compile_encoder
from registry.client.models import SchemaId
from registry.client.payload import PayloadError, build_payload_schema, to_datum
from registry.client.payload_fast import FastPath, compile_fast_path
from services.api.contracts.catalog import EventType
from services.api.errors import InvalidEventError

SERVER_OWNED = ("user_id", "received_at")
CLIENT_OPTIONAL = ("event_id",)
_KEY_NAMESPACE = uuid.UUID("6f1d3c52-8a4e-4b7e-9f0a-2c5d7e9b1a30")


@dataclass(frozen=True)
class EncodedEvent:
    event_type: EventType
    event_id: str
    user_id: str
    value: bytes  # Confluent-framed Avro


class EventEncoder:
    """Validates payloads and encodes them; thread-safe, loaders cached by schema id."""

    def __init__(self) -> None:
        self._loaders: dict[SchemaId, Schema] = {}
        self._fast: dict[SchemaId, FastPath] = {}
        self._encoders: dict[SchemaId, Encoder] = {}
        self._lock = threading.Lock()

    def _encoder(self, event_type: EventType) -> Encoder:
        encoder = self._encoders.get(event_type.schema_id)
        if encoder is None:
            compiled = compile_encoder(event_type.schema)
            with self._lock:
                encoder = self._encoders.setdefault(event_type.schema_id, compiled)
        return encoder

    def _fast_path(self, event_type: EventType) -> FastPath:
        fast = self._fast.get(event_type.schema_id)
        if fast is None:
            compiled = compile_fast_path(
                event_type.schema, server_owned=SERVER_OWNED, optional=CLIENT_OPTIONAL
            )
            with self._lock:
                fast = self._fast.setdefault(event_type.schema_id, compiled)
        return fast

    def _loader(self, event_type: EventType) -> Schema:
        loader = self._loaders.get(event_type.schema_id)
        if loader is None:
            schema = build_payload_schema(
                event_type.schema, server_owned=SERVER_OWNED, optional=CLIENT_OPTIONAL
            )
            with self._lock:
                loader = self._loaders.setdefault(event_type.schema_id, schema())
        return loader

    def datum(self, event_type: EventType, payload: Any) -> dict[str, Any]:
        """The Avro datum of a payload, or PayloadError listing every problem."""
        datum = self._fast_path(event_type)(payload)
        if datum is not None:
            return datum
        if isinstance(payload, dict):
            try:
                loaded: dict[str, Any] = self._loader(event_type).load(payload)
                return loaded
            except ValidationError:
                pass  # to_datum below words every problem the same way for every caller
        return to_datum(
            event_type.schema, payload, server_owned=SERVER_OWNED, optional=CLIENT_OPTIONAL
        )

    def encode(
        self,
        event_type: EventType,
        payload: Any,
        *,
        user_id: str,
        received_at: datetime,
        idempotency_key: str | None = None,
    ) -> EncodedEvent:
        try:
            datum = self.datum(event_type, payload)
        except PayloadError as exc:
            raise InvalidEventError(list(exc.errors)) from None
        if datum.get("event_id") is None:
            datum["event_id"] = event_id_for(user_id, idempotency_key)
        datum["user_id"] = user_id
        datum["received_at"] = received_at
        value = wire.frame(event_type.schema_id, self._encoder(event_type)(datum))
        return EncodedEvent(event_type, str(datum["event_id"]), user_id, value)


def event_id_for(user_id: str, idempotency_key: str | None) -> str:
    """The event id the server assigns: from the Idempotency-Key header, else a new one."""
    if not idempotency_key:
        return random_uuid4()
    try:
        return str(uuid.UUID(idempotency_key))
    except ValueError:
        return str(uuid.uuid5(_KEY_NAMESPACE, f"{user_id}:{idempotency_key}"))


def random_uuid4() -> str:
    """A random (version 4) UUID as text, like str(uuid.uuid4()) at a third of its cost:
    one is made per event on the ingest hot path."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"
