"""Avro serialisation through the registry: records to Confluent-framed bytes and back.

`AvroSerializer` encodes with a subject's registered schema and frames with its id;
`AvroDeserializer` reads the id from the frame, decodes with that writer schema and
optionally resolves to a reader schema. Both use fastavro's schemaless reader and writer and
keep parsed schemas by id, so the hot path makes no registry call after the first message of
each schema. Failures are sorted here: a message that can never decode raises
`DeserializationError` (poison), a registry that cannot answer raises
`RegistryUnavailableError` (retry); nothing else escapes `decode`.
"""

from __future__ import annotations

import io
import json
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import fastavro
from fastavro.read import SchemaResolutionError

from registry.client import wire
from registry.client.errors import (
    DecodeFailure,
    DeserializationError,
    SchemaNotFoundError,
    SerializationError,
)
from registry.client.models import SchemaId, Subject
from registry.client.protocol import SchemaRegistry

SubjectNameStrategy = Callable[[str], Subject]
ParsedSchema = Any  # fastavro's parsed form: a dict, list or str with fastavro's own keys

# What fastavro raises on bytes that do not fit the writer schema: truncated input, bad
# varints, invalid UTF-8, union branch or enum index out of range, bad logical values.
_BAD_BODY = (EOFError, ValueError, IndexError, KeyError, TypeError, OverflowError, struct.error)
# What fastavro raises on a record that does not fit the writer schema.
_BAD_RECORD = (ValueError, TypeError, KeyError, AttributeError, OverflowError, struct.error)


def topic_name(topic: str) -> Subject:
    """Confluent's TopicNameStrategy for message values: `ugc.rating` -> `ugc.rating-value`."""
    return Subject(f"{topic}-value")


def parse_schema(schema_text: str) -> ParsedSchema:
    """fastavro's parsed form of a schema text; ValueError/SchemaParseException if invalid."""
    # A fresh named-types dict per schema: a writer and a reader may define the same name.
    return fastavro.parse_schema(json.loads(schema_text), named_schemas={})


def _read(
    body: bytes | memoryview,
    writer: ParsedSchema,
    reader: ParsedSchema | None,
    schema_id: SchemaId | None,
) -> Any:
    buffer = io.BytesIO(body)
    try:
        value = fastavro.schemaless_reader(buffer, writer, reader)
    except SchemaResolutionError as exc:
        raise DeserializationError(
            f"writer schema cannot be resolved to the reader schema: {exc}",
            failure=DecodeFailure.UNRESOLVABLE,
            schema_id=schema_id,
        ) from exc
    except _BAD_BODY as exc:
        raise DeserializationError(
            f"body does not decode with its writer schema: {exc!r}",
            failure=DecodeFailure.BAD_BODY,
            schema_id=schema_id,
        ) from exc
    # Leftover bytes mean the body was written with some other schema, even if a prefix of
    # it happened to decode: trusting the value would load garbage.
    leftover = len(body) - buffer.tell()
    if leftover:
        raise DeserializationError(
            f"{leftover} bytes left over after decoding the body",
            failure=DecodeFailure.BAD_BODY,
            schema_id=schema_id,
        )
    return value


def decode_with(
    writer_schema: str, body: bytes | memoryview, reader_schema: str | None = None
) -> Any:
    """Decode one unframed Avro body; parses the schemas on every call, so not for hot paths."""
    try:
        writer = parse_schema(writer_schema)
        reader = parse_schema(reader_schema) if reader_schema is not None else None
    except Exception as exc:  # fastavro raises several unrelated types on bad schemas
        raise DeserializationError(
            f"schema is not usable Avro: {exc!r}", failure=DecodeFailure.BAD_SCHEMA
        ) from exc
    return _read(body, writer, reader, None)


@dataclass(frozen=True)
class DecodedMessage:
    """A decoded message with the writer schema that produced it."""

    schema_id: SchemaId
    writer_schema: str
    value: Any


@dataclass(frozen=True)
class _Writer:
    schema_id: SchemaId
    parsed: ParsedSchema
    fetched_at: float


class AvroSerializer:
    """Encodes records for a topic with its subject's schema, Confluent-framed.

    The writer is `schema` when given (registered first if `auto_register`, else looked up,
    so an unregistered schema is refused), otherwise the subject's latest version when
    `use_latest`. The writer per subject is cached; `refresh_after` (seconds) bounds how long,
    so that a long-running producer picks up a newly registered version.
    """

    def __init__(
        self,
        registry: SchemaRegistry,
        *,
        subject_name_strategy: SubjectNameStrategy = topic_name,
        schema: str | None = None,
        auto_register: bool = False,
        use_latest: bool = True,
        refresh_after: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if schema is None and not use_latest:
            raise ValueError("AvroSerializer needs a schema, or use_latest=True")
        self._registry = registry
        self._subject_for = subject_name_strategy
        self._schema = schema
        self._auto_register = auto_register
        self._refresh_after = refresh_after
        self._clock = clock
        self._writers: dict[Subject, _Writer] = {}
        self._parsed: dict[SchemaId, ParsedSchema] = {}

    def _writer(self, subject: Subject) -> _Writer:
        now = self._clock()
        cached = self._writers.get(subject)
        if cached is not None and (
            self._refresh_after is None or now - cached.fetched_at < self._refresh_after
        ):
            return cached
        if self._schema is None:
            latest = self._registry.get_latest(subject)
            schema_id, text = latest.id, latest.schema
        elif self._auto_register:
            schema_id, text = self._registry.register(subject, self._schema), self._schema
        else:
            schema_id, text = self._registry.lookup(subject, self._schema).id, self._schema
        if schema_id not in self._parsed:
            try:
                self._parsed[schema_id] = parse_schema(text)
            except Exception as exc:  # fastavro raises several unrelated types
                raise SerializationError(
                    f"schema {schema_id} of {subject} is not usable Avro: {exc!r}"
                ) from exc
        writer = _Writer(schema_id, self._parsed[schema_id], now)
        self._writers[subject] = writer
        return writer

    def writer_schema_id(self, topic: str) -> SchemaId:
        """The id the next `serialize(topic, …)` will frame with."""
        return self._writer(self._subject_for(topic)).schema_id

    def serialize(self, topic: str, record: Mapping[str, Any]) -> bytes:
        """The framed Avro encoding of `record`; SerializationError if it does not fit."""
        subject = self._subject_for(topic)
        writer = self._writer(subject)
        buffer = io.BytesIO()
        try:
            fastavro.schemaless_writer(buffer, writer.parsed, record)
        except _BAD_RECORD as exc:
            raise SerializationError(
                f"record does not fit schema {writer.schema_id} of {subject}: {exc!r}"
            ) from exc
        return wire.frame(writer.schema_id, buffer.getbuffer())


class AvroDeserializer:
    """Decodes Confluent-framed messages with their writer schema, fetched by id.

    With `reader_schema`, values are resolved to it (Avro defaults, aliases, promotions), as
    the ETL does to read old writers with the table's schema.
    """

    def __init__(self, registry: SchemaRegistry, reader_schema: str | None = None) -> None:
        self._registry = registry
        self._reader = parse_schema(reader_schema) if reader_schema is not None else None
        # Writer schemas never change under an id, so these are kept for the process's life.
        self._writers: dict[SchemaId, tuple[str, ParsedSchema]] = {}

    def _writer(self, schema_id: SchemaId) -> tuple[str, ParsedSchema]:
        cached = self._writers.get(schema_id)
        if cached is not None:
            return cached
        try:
            text = self._registry.get_schema(schema_id)
        except SchemaNotFoundError as exc:
            # The registry answered and does not know the id: the message is at fault.
            # RegistryUnavailableError, the registry's fault, propagates untouched.
            raise DeserializationError(
                "the registry has no schema with this id",
                failure=DecodeFailure.UNKNOWN_SCHEMA,
                schema_id=schema_id,
            ) from exc
        try:
            parsed = parse_schema(text)
        except Exception as exc:  # fastavro raises several unrelated types
            raise DeserializationError(
                f"writer schema is not usable Avro: {exc!r}",
                failure=DecodeFailure.BAD_SCHEMA,
                schema_id=schema_id,
            ) from exc
        self._writers[schema_id] = (text, parsed)
        return text, parsed

    def decode(self, data: bytes | bytearray | memoryview) -> DecodedMessage:
        """The writer's id and schema text with the decoded value."""
        schema_id, body = wire.unframe(data)
        text, writer = self._writer(schema_id)
        return DecodedMessage(schema_id, text, _read(body, writer, self._reader, schema_id))

    def deserialize(self, data: bytes | bytearray | memoryview) -> dict[str, Any]:
        """The decoded record; DeserializationError if the message is not a record."""
        decoded = self.decode(data)
        if not isinstance(decoded.value, dict):
            raise DeserializationError(
                f"expected a record, decoded {type(decoded.value).__name__}",
                failure=DecodeFailure.BAD_BODY,
                schema_id=decoded.schema_id,
            )
        return decoded.value
