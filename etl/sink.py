"""The warehouse sink: `write(batch)` is its one I/O method, and only the checkpoint calls it.

For each run of a partition batch (etl.batch): fetch the writer schema by id (cached for
the process; ids never change meaning), ask the catalog for its table (creating or
extending tables as etl.evolution decides), then load it:

- fast path: one `INSERT … FORMAT AvroConfluent` of the run's raw values; ClickHouse decodes;
- when ClickHouse refuses a run, the Python path finds the poison: every message is decoded
  with fastavro (those that fail are poison, with the decoder's reason), the rest are
  inserted again, halving any piece ClickHouse still refuses down to the single message
  (`warehouse_rejected`);
- a writer schema ClickHouse's Avro reader cannot read (`mapping.clickhouse_cannot_read`)
  loads through the Python path: decoded rows inserted natively.

`prepare(topic, partitions)`, at each assignment, readies tables, view and stages before
the first message when deciding early cannot change the decision (see there).

Each insert carries `insert_deduplication_token` = topic:partition:first-last:schema id, so
an insert retried after an unclear failure lands once. After a (re)start from a committed
offset (`restart`), the first write of a partition drops the offsets a table already holds
(a previous process loaded them but died before committing): see NOTES.md.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import fastavro

from etl.batch import KafkaMessage, PartitionBatch, Run
from etl.clickhouse import Warehouse
from etl.errors import EtlError, Poison, Reason, WarehouseRejectedError, verdict
from etl.mapping import Column, MappingError, clickhouse_cannot_read
from etl.tables import Catalog, FirstSeen, Target
from registry.client.avro.export import fastavro_schema
from registry.client.avro.parse import InvalidSchemaError, parse_schema
from registry.client.avro.types import Node
from registry.client.errors import (
    DecodeFailure,
    DeserializationError,
    RegistryError,
    SchemaNotFoundError,
)
from registry.client.models import SchemaId
from registry.client.protocol import SchemaRegistry
from registry.client.serdes import topic_name

log = logging.getLogger(__name__)


@dataclass
class DeadMessage:
    message: KafkaMessage
    poison: Poison
    schema_id: int | None


@dataclass
class WriteResult:
    loaded: int = 0
    loaded_bytes: int = 0
    skipped: int = 0  # already in the warehouse (loaded before a restart)
    dead: list[DeadMessage] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    lateness: list[float] = field(default_factory=list)  # seconds, first row of each run


class Sink(Protocol):
    def write(self, batch: PartitionBatch) -> WriteResult: ...

    def restart(self, topic: str, partition: int) -> None: ...

    def prepare(self, topic: str, partitions: Sequence[int]) -> None: ...


@dataclass(frozen=True)
class WriterSchema:
    root: Node
    parsed: Any  # fastavro's parsed schema
    fast: bool


class WarehouseSink:
    """Loads partition batches into the versioned tables of a ClickHouse warehouse."""

    def __init__(self, warehouse: Warehouse, catalog: Catalog, registry: SchemaRegistry) -> None:
        self.warehouse = warehouse
        self.catalog = catalog
        self.registry = registry
        self._writers: dict[int, WriterSchema] = {}
        self._fresh: set[tuple[str, int]] = set()
        # Per partition read again: offsets some table already holds, until a batch passes
        # the last of them (a dead owner may have loaded further than one batch reaches).
        self._loaded: dict[tuple[str, int], tuple[set[int], int]] = {}

    def restart(self, topic: str, partition: int) -> None:
        """The partition is read again from its committed offset."""
        self._fresh.add((topic, partition))

    def prepare(self, topic: str, partitions: Sequence[int]) -> None:
        """Ready the warehouse for the first batches of newly assigned `partitions` while
        the consumer starts up (it fetches nothing for a few tenths of a second), so their
        first insert does not wait for table statements:

        - no table of the topic's event type exists: nothing of these partitions can be
          loaded, so their first write skips the check for offsets loaded before;
        - the writer schema is the latest version of the topic's subject, and deciding its
          table early cannot change the decision: its id is in the map already, or no table
          exists yet and it is version 1, the only schema the subject ever had (with older
          versions, an older writer may come first and must open `_v1`). Its table and view
          are made, the schema map row waits for the first message (where it was first
          seen), and each partition's stage is created.

        Best effort: what fails here, the first write does again, and reports."""
        try:
            self._prepare(topic, partitions)
        except (EtlError, RegistryError, DeserializationError, MappingError) as exc:
            log.info("%s: not prepared ahead of its first messages (%s)", topic, exc)

    def _prepare(self, topic: str, partitions: Sequence[int]) -> None:
        first_load = not self.catalog.tables_of(topic)
        if first_load:
            self._fresh.difference_update((topic, p) for p in partitions)
        latest = self.registry.get_version(topic_name(topic), "latest")
        if not ((first_load and latest.version == 1) or self.catalog.is_mapped(latest.id)):
            return
        writer = self._writer(latest.id, latest.schema)
        target = self.catalog.prepare(latest.id, writer.root, topic)
        if writer.fast:
            for partition in partitions:
                stage = self.catalog.stage_for(latest.id, topic, partition)
                self.warehouse.stage(stage, target.columns)
        log.info(
            "%s: %s ready for schema id %d before the first message",
            topic,
            target.table,
            latest.id,
        )

    def write(self, batch: PartitionBatch) -> WriteResult:
        result = WriteResult()
        key = (batch.topic, batch.partition)
        if key in self._fresh and len(batch):
            loaded = self.catalog.loaded_offsets(batch.topic, batch.partition, batch.first_offset)
            self._loaded.pop(key, None)
            if loaded:
                self._loaded[key] = (loaded, max(loaded))
        if key in self._loaded and len(batch):
            loaded, last_loaded = self._loaded[key]
            first, before = batch.first_offset, len(batch)
            batch.drop(lambda offset: offset not in loaded)
            result.skipped = before - len(batch)
            if result.skipped:
                log.info(
                    "%s[%d]: %d messages from offset %d were loaded before; skipped",
                    batch.topic,
                    batch.partition,
                    result.skipped,
                    first,
                )
            if batch.last_offset >= last_loaded:
                del self._loaded[key]
        for run in batch.runs():
            self._write_run(batch, run, result)
        self._fresh.discard(key)
        return result

    def _write_run(self, batch: PartitionBatch, run: Run, result: WriteResult) -> None:
        if run.schema_id is None:
            poison = Poison(Reason.WIRE, run.wire_error or "not Confluent-framed")
            result.dead.append(DeadMessage(batch.message(run.start), poison, None))
            return
        try:
            writer = self._writer(run.schema_id)
            seen = FirstSeen(batch.topic, batch.partition, batch.offsets[run.start])
            target = self.catalog.target(run.schema_id, writer.root, seen)
        except Exception as exc:
            outcome = verdict(exc)  # BackpressureError is raised; poison applies to the whole run
            if not isinstance(outcome, Poison):
                raise outcome from exc
            result.dead.extend(
                DeadMessage(batch.message(i), outcome, run.schema_id)
                for i in range(run.start, run.stop)
            )
            return
        if writer.fast:
            self._load_fast(batch, run.schema_id, target, range(run.start, run.stop), result)
        else:
            self._load_python(batch, run, writer, target, result)

    def _writer(self, schema_id: int, text: str | None = None) -> WriterSchema:
        """The writer schema with this id, parsed once; `text` when the caller has it."""
        cached = self._writers.get(schema_id)
        if cached is not None:
            return cached
        if text is None:
            try:
                text = self.registry.get_schema(SchemaId(schema_id))
            except SchemaNotFoundError as exc:
                raise DeserializationError(
                    "the registry has no schema with this id",
                    failure=DecodeFailure.UNKNOWN_SCHEMA,
                    schema_id=SchemaId(schema_id),
                ) from exc
        try:
            root = parse_schema(text, strict=False).root
            parsed = fastavro.parse_schema(fastavro_schema(root), named_schemas={})
        except (InvalidSchemaError, ValueError, TypeError, KeyError) as exc:
            raise DeserializationError(
                f"writer schema is not usable Avro: {exc}",
                failure=DecodeFailure.BAD_SCHEMA,
                schema_id=SchemaId(schema_id),
            ) from exc
        refusal = clickhouse_cannot_read(root)
        if refusal:
            log.warning(
                "schema id %d loads through the Python path: ClickHouse's Avro reader "
                "refuses it (%s)",
                schema_id,
                refusal,
            )
        writer = WriterSchema(root, parsed, fast=refusal is None)
        self._writers[schema_id] = writer
        return writer

    def _load_fast(
        self,
        batch: PartitionBatch,
        schema_id: int,
        target: Target,
        indexes: range,
        result: WriteResult,
    ) -> None:
        try:
            size = self._insert_framed(batch, schema_id, target, indexes)
        except WarehouseRejectedError as exc:
            first, last = batch.offsets[indexes[0]], batch.offsets[indexes[-1]]
            log.warning(
                "%s[%d] offsets %d-%d refused by ClickHouse (%s); isolating the poison",
                batch.topic,
                batch.partition,
                first,
                last,
                exc,
            )
            self._isolate(batch, schema_id, target, indexes, result)
            return
        _count(result, target.table, len(indexes), size)
        result.lateness.extend(_lateness(batch.values[indexes[0]], self._writer(schema_id)))

    def _insert_framed(
        self, batch: PartitionBatch, schema_id: int, target: Target, indexes: range
    ) -> int:
        """One fast-path insert of messages[indexes]; the number of bytes loaded."""
        first, last = batch.offsets[indexes[0]], batch.offsets[indexes[-1]]
        values = b"".join(batch.values[indexes.start : indexes.stop])
        self.warehouse.insert_framed(
            target.table,
            target.columns,
            stage=self.catalog.stage_for(schema_id, batch.topic, batch.partition),
            metadata={
                "_schema_id": schema_id,
                "_topic": batch.topic,
                "_partition": batch.partition,
            },
            first_offset=first,
            values=values,
            count=len(indexes),
            token=f"{batch.topic}:{batch.partition}:{first}-{last}:{schema_id}",
        )
        return len(values)

    def _isolate(
        self,
        batch: PartitionBatch,
        schema_id: int,
        target: Target,
        indexes: range,
        result: WriteResult,
    ) -> None:
        writer = self._writer(schema_id)
        good: list[int] = []
        for i in indexes:
            try:
                _decode(batch.values[i], writer.parsed, schema_id)
                good.append(i)
            except DeserializationError as exc:
                poison = Poison(Reason(exc.failure.value), str(exc))
                result.dead.append(DeadMessage(batch.message(i), poison, schema_id))
        for piece in _consecutive(batch.offsets, good):
            self._bisect(batch, schema_id, target, piece, result)

    def _bisect(
        self,
        batch: PartitionBatch,
        schema_id: int,
        target: Target,
        indexes: range,
        result: WriteResult,
    ) -> None:
        try:
            size = self._insert_framed(batch, schema_id, target, indexes)
        except WarehouseRejectedError as exc:
            if len(indexes) == 1:
                poison = Poison(Reason.WAREHOUSE_REJECTED, str(exc))
                result.dead.append(DeadMessage(batch.message(indexes[0]), poison, schema_id))
                return
            middle = len(indexes) // 2
            self._bisect(batch, schema_id, target, indexes[:middle], result)
            self._bisect(batch, schema_id, target, indexes[middle:], result)
            return
        _count(result, target.table, len(indexes), size)

    def _load_python(
        self,
        batch: PartitionBatch,
        run: Run,
        writer: WriterSchema,
        target: Target,
        result: WriteResult,
    ) -> None:
        schema_id = run.schema_id or 0
        rows: list[tuple[int, list[Any]]] = []
        for i in range(run.start, run.stop):
            try:
                record = _decode(batch.values[i], writer.parsed, schema_id)
            except DeserializationError as exc:
                poison = Poison(Reason(exc.failure.value), str(exc))
                result.dead.append(DeadMessage(batch.message(i), poison, schema_id))
                continue
            rows.append((i, _row(record, target.columns, schema_id, batch, i)))
        self._insert_rows(batch, schema_id, target, rows, result)

    def _insert_rows(
        self,
        batch: PartitionBatch,
        schema_id: int,
        target: Target,
        rows: Sequence[tuple[int, list[Any]]],
        result: WriteResult,
    ) -> None:
        if not rows:
            return
        names = [c.name for c in target.columns] + ["_schema_id", "_topic", "_partition", "_offset"]
        first, last = batch.offsets[rows[0][0]], batch.offsets[rows[-1][0]]
        token = f"{batch.topic}:{batch.partition}:{first}-{last}:{schema_id}:rows{len(rows)}"
        try:
            self.warehouse.insert_rows(target.table, names, [r for _, r in rows], token)
        except WarehouseRejectedError as exc:
            if len(rows) == 1:
                poison = Poison(Reason.WAREHOUSE_REJECTED, str(exc))
                result.dead.append(DeadMessage(batch.message(rows[0][0]), poison, schema_id))
                return
            middle = len(rows) // 2
            self._insert_rows(batch, schema_id, target, rows[:middle], result)
            self._insert_rows(batch, schema_id, target, rows[middle:], result)
            return
        size = sum(len(batch.values[i]) for i, _ in rows)
        _count(result, target.table, len(rows), size)


def _count(result: WriteResult, table: str, rows: int, size: int) -> None:
    result.loaded += rows
    result.loaded_bytes += size
    result.tables[table] = result.tables.get(table, 0) + rows


def _lateness(value: bytes, writer: WriterSchema) -> list[float]:
    """Seconds from the event's occurred_at to now, for one sample message."""
    try:
        record = _decode(value, writer.parsed, 0)
    except DeserializationError:
        return []
    occurred = record.get("occurred_at") if isinstance(record, dict) else None
    if not isinstance(occurred, datetime.datetime) or occurred.tzinfo is None:
        return []
    return [(datetime.datetime.now(datetime.UTC) - occurred).total_seconds()]


def _decode(value: bytes, parsed: Any, schema_id: int) -> Any:
    buffer = io.BytesIO(value)
    buffer.seek(5)
    try:
        record = fastavro.schemaless_reader(buffer, parsed, None)
    except (EOFError, ValueError, IndexError, KeyError, TypeError, OverflowError) as exc:
        raise DeserializationError(
            f"body does not decode with its writer schema: {exc!r}",
            failure=DecodeFailure.BAD_BODY,
            schema_id=SchemaId(schema_id),
        ) from exc
    if buffer.tell() != len(value):
        raise DeserializationError(
            f"{len(value) - buffer.tell()} bytes left over after decoding the body",
            failure=DecodeFailure.BAD_BODY,
            schema_id=SchemaId(schema_id),
        )
    return record


def _row(
    record: Any, columns: Sequence[Column], schema_id: int, batch: PartitionBatch, index: int
) -> list[Any]:
    row = []
    for column in columns:
        value = record
        for step in column.path:
            value = value[step]
        if value is None and column.type.startswith(("Array(", "Map(")):
            value = [] if column.type.startswith("Array(") else {}  # an optional container
        row.append(value)
    return [*row, schema_id, batch.topic, batch.partition, batch.offsets[index]]


def _consecutive(offsets: Sequence[int], indexes: Sequence[int]) -> Iterator[range]:
    """`indexes` cut into ranges of consecutive indexes with consecutive offsets."""
    start = 0
    for n in range(1, len(indexes) + 1):
        if (
            n == len(indexes)
            or indexes[n] != indexes[n - 1] + 1
            or (offsets[indexes[n]] != offsets[indexes[n - 1]] + 1)
        ):
            yield range(indexes[start], indexes[n - 1] + 1)
            start = n
