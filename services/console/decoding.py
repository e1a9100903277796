"""Decoding a Kafka value through the registry, for people: what the message says, which
schema wrote it (id, subject, version) and what the latest version of that subject changed
since, or precisely why it cannot be decoded.

`MessageDecoder.decode` never raises for a bad message: it answers a `Decoded` whose
`failure` names the reason class (`registry.client.errors.DecodeFailure`, plus `tombstone`
and `registry_unavailable`) and whose `reason` is a sentence: no magic byte, a header cut
short, an unknown schema id, a body cut short (the writer schema needs more bytes than
there are), bytes left over. Writer schemas are fetched once per id; which subjects hold an
id and what the subject's latest version is are kept for `latest_ttl` seconds.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import io
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fastavro

from contracts.diff import FieldChange, diff_schemas
from registry.client import wire
from registry.client.errors import (
    DecodeFailure,
    DeserializationError,
    RegistryError,
    RegistryUnavailableError,
    SchemaNotFoundError,
)
from registry.client.models import SchemaId, Subject, Version
from registry.client.protocol import SchemaRegistry
from registry.client.serdes import parse_schema

TOMBSTONE = "tombstone"
REGISTRY_UNAVAILABLE = "registry_unavailable"
_PADDING = bytes(4096)


@dataclass(frozen=True)
class Writer:
    """The schema a message was written with, as the registry knows it."""

    schema_id: SchemaId
    text: str
    subject: Subject | None = None
    version: Version | None = None
    latest_version: Version | None = None
    changes_since: tuple[FieldChange, ...] = ()

    @property
    def is_latest(self) -> bool:
        return self.version is not None and self.version == self.latest_version

    def label(self) -> str:
        if self.subject is None:
            return f"id {self.schema_id}"
        return f"{self.subject} v{self.version} (id {self.schema_id})"


@dataclass(frozen=True)
class Decoded:
    """A decoded value (JSON-ready), or why there is none."""

    value: Any = None
    writer: Writer | None = None
    failure: str | None = None
    reason: str | None = None
    body_bytes: int = 0
    schema_ids: tuple[SchemaId, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.failure is None


def to_json(value: Any) -> Any:
    """fastavro's Python values as JSON values: times as ISO text, bytes as base64."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class MessageDecoder:
    """Decodes values with their writer schema; thread-safe."""

    def __init__(
        self,
        registry: SchemaRegistry,
        *,
        latest_ttl: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._ttl = latest_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._parsed: dict[SchemaId, tuple[str, Any]] = {}
        self._writers: dict[SchemaId, tuple[float, Writer]] = {}

    def decode(self, data: bytes | None) -> Decoded:
        if data is None:
            return Decoded(failure=TOMBSTONE, reason="no value: a tombstone (deletes its key)")
        try:
            schema_id, body = wire.unframe(data)
        except DeserializationError as exc:
            return Decoded(failure=DecodeFailure.WIRE, reason=_wire_reason(data, exc))
        try:
            _, parsed = self._schema(schema_id)
            writer = self.writer(schema_id)
        except DeserializationError as exc:
            return Decoded(failure=exc.failure, reason=exc.reason, body_bytes=len(body))
        except RegistryUnavailableError as exc:
            why = f"the registry cannot be reached to fetch schema id {schema_id}: {exc}"
            return Decoded(failure=REGISTRY_UNAVAILABLE, reason=why, body_bytes=len(body))
        failure, reason, value = _read(bytes(body), parsed, writer)
        if failure is not None:
            return Decoded(writer=writer, failure=failure, reason=reason, body_bytes=len(body))
        return Decoded(value=to_json(value), writer=writer, body_bytes=len(body))

    def _schema(self, schema_id: SchemaId) -> tuple[str, Any]:
        with self._lock:
            cached = self._parsed.get(schema_id)
        if cached is not None:
            return cached
        try:
            text = self._registry.get_schema(schema_id)
        except SchemaNotFoundError as exc:
            raise DeserializationError(
                f"unknown schema id {schema_id}: the registry has no schema with this id",
                failure=DecodeFailure.UNKNOWN_SCHEMA,
                schema_id=schema_id,
            ) from exc
        try:
            parsed = parse_schema(text)
        except Exception as exc:  # fastavro raises several unrelated types on bad schemas
            raise DeserializationError(
                f"schema id {schema_id} is not usable Avro: {exc}",
                failure=DecodeFailure.BAD_SCHEMA,
                schema_id=schema_id,
            ) from exc
        with self._lock:
            self._parsed[schema_id] = (text, parsed)
        return text, parsed

    def writer(self, schema_id: SchemaId) -> Writer:
        """Who holds `schema_id`, and what the latest version of that subject changed."""
        now = self._clock()
        with self._lock:
            cached = self._writers.get(schema_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        text, _ = self._schema(schema_id)
        try:
            holders = self._registry.get_subject_versions(schema_id)
        except SchemaNotFoundError:
            holders = []
        writer = Writer(schema_id, text)
        if holders:
            subject, version = holders[0]
            writer = self._with_latest(Writer(schema_id, text, subject, version))
        with self._lock:
            self._writers[schema_id] = (now, writer)
        return writer

    def _with_latest(self, writer: Writer) -> Writer:
        assert writer.subject is not None
        try:
            latest = self._registry.get_latest(writer.subject)
        except RegistryUnavailableError:
            raise
        except RegistryError:
            return writer
        changes: tuple[FieldChange, ...] = ()
        if latest.id != writer.schema_id:
            try:
                changes = tuple(diff_schemas(writer.text, latest.schema, docs=False))
            except (ValueError, KeyError, TypeError):
                changes = ()
        return Writer(
            writer.schema_id, writer.text, writer.subject, writer.version, latest.version, changes
        )


def _wire_reason(data: bytes, exc: DeserializationError) -> str:
    if not data:
        return "empty value: 0 bytes, not even the 5-byte Confluent header"
    if data and data[0] != wire.MAGIC_BYTE:
        return f"no magic byte: {exc.reason}"
    if len(data) < wire.HEADER_SIZE:
        return (
            f"truncated header: {len(data)} bytes, and a Confluent frame needs "
            f"{wire.HEADER_SIZE} (magic byte and 4-byte schema id)"
        )
    return exc.reason


def _read(body: bytes, parsed: Any, writer: Writer) -> tuple[str | None, str | None, Any]:
    """(failure, reason, value): the value on success."""
    buffer = io.BytesIO(body)
    try:
        value = fastavro.schemaless_reader(buffer, parsed, None)
    except Exception as exc:  # fastavro raises many unrelated types on bad bytes
        if isinstance(exc, EOFError) or _truncated(body, parsed):
            return (
                DecodeFailure.BAD_BODY,
                f"truncated body: {writer.label()} needs more than the {len(body)} "
                "body bytes present",
                None,
            )
        return (
            DecodeFailure.BAD_BODY,
            f"body does not decode with {writer.label()}: {type(exc).__name__}: {exc}",
            None,
        )
    leftover = len(body) - buffer.tell()
    if leftover:
        return (
            DecodeFailure.BAD_BODY,
            f"{leftover} bytes left over after decoding with {writer.label()}: "
            "written with another schema",
            None,
        )
    return None, None, value


def _truncated(body: bytes, parsed: Any) -> bool:
    """Whether the body decodes once zeros are appended: then it was cut short."""
    try:
        fastavro.schemaless_reader(io.BytesIO(body + _PADDING), parsed, None)
    except Exception:  # any failure means it was not merely cut short
        return False
    return True
