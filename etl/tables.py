"""The versioned tables of each event type, their views and the schema id → table map.

`Catalog.target(topic, schema_id, root)` answers where a writer schema's messages load:
it consults the map (`<db>._schema_tables`, in ClickHouse, read at start and kept in
memory), and for a schema id it has not seen asks `etl.evolution.plan` against the newest
table of the event type, applies the plan (CREATE, ALTERs), records the decision, then
recreates the view `<db>.<event_type>` over every version. Statements are idempotent and
the plan is checked again after applying it, so two ETL processes deciding at once agree.
`Catalog.prepare` makes the same decision before the schema id's first message, when the
sink knows the order of messages cannot change it; its map row is written when that
message comes, with where it was first seen.

Tables are ReplacingMergeTree, partitioned by month of `occurred_at`, sorted by
(film_id,) user_id, occurred_at, event_id: the sorting key ends with `event_id`, so an event
Kafka holds twice (a client retry) collapses in the view, which reads each version FINAL.
`loaded_offsets` says which offsets of a partition are already in the warehouse: after a
restart the sink drops those instead of loading them twice (see NOTES.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from etl.clickhouse import Warehouse
from etl.evolution import (
    AddColumn,
    ExistingColumn,
    ModifyColumn,
    Plan,
    TableState,
    absorb,
    plan,
)
from etl.mapping import Column, columns_of, normalise_type, quote, quote_name
from registry.client.avro.types import Node

log = logging.getLogger(__name__)

MAP_TABLE = "_schema_tables"
_NULLABLE_CAPABLE_NOT = ("Array(", "Map(", "Tuple(", "Nullable(")
_DEDUP_WINDOW = 10_000
# Merge about ten parts of like size at once instead of five: fewer merge levels, so each
# row is rewritten fewer times (merges of 3M rows loaded as 150,000-row parts through the
# warehouse server: 2.2 s of CPU against 4.0 s, leaving 12 parts instead of 7). The view
# reads FINAL, so merges only ever save work for readers; they pay for a few more parts.
_MERGE_SELECTOR_BASE = 10


@dataclass(frozen=True)
class FirstSeen:
    """Where a schema id first reached the ETL: the offset its table starts at."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Target:
    """Where a writer schema's messages load."""

    table: str  # qualified: db.event_v1
    columns: tuple[Column, ...]


def event_type_of(topic: str) -> str:
    return topic.split(".", 1)[1] if "." in topic else topic


def sorting_key(columns: Sequence[Column]) -> list[str]:
    """(film_id,) user_id, occurred_at, event_id: those the schema has as required fields."""
    present = {c.name: c.type for c in columns}
    wanted = ("film_id", "user_id", "occurred_at", "event_id")
    return [n for n in wanted if n in present and not present[n].startswith("Nullable(")]


def create_statement(qualified: str, columns: Sequence[Column]) -> str:
    lines = [_column_definition(c) for c in columns]
    lines += [
        "`_schema_id` UInt32",
        "`_topic` LowCardinality(String)",
        "`_partition` UInt32",
        "`_offset` UInt64",
        "`_loaded_at` DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')",
        "INDEX _offset_minmax _offset TYPE minmax GRANULARITY 1",
    ]
    types = {c.name: c.type for c in columns}
    partition = (
        "toYYYYMM(occurred_at)"
        if types.get("occurred_at", "").startswith("DateTime")
        else "tuple()"
    )
    key = ", ".join(quote_name(n) for n in sorting_key(columns)) or "_topic, _partition, _offset"
    return (
        f"CREATE TABLE IF NOT EXISTS {qualified} (\n  " + ",\n  ".join(lines) + "\n)"
        f" ENGINE = ReplacingMergeTree PARTITION BY {partition} ORDER BY ({key})"
        f" SETTINGS non_replicated_deduplication_window = {_DEDUP_WINDOW},"
        f" merge_selector_base = {_MERGE_SELECTOR_BASE}"
    )


def _column_definition(column: Column) -> str:
    default = f" DEFAULT {column.default}" if column.default is not None else ""
    return f"{quote_name(column.name)} {column.type}{default}"


def view_statement(qualified_view: str, database: str, versions: Sequence[TableState]) -> str:
    """A view over every version, newest first; columns missing or typed differently in an
    older version read as NULL (or the type's default) or cast."""
    newest_first = sorted(versions, key=lambda t: t.version, reverse=True)
    shape: dict[str, str] = {}
    for table in newest_first:
        for column in table.columns:
            known = shape.get(column.name)
            if known is None:
                shape[column.name] = column.type
            else:  # the wider of the two when there is one (enums merge), else the newest
                shape[column.name] = absorb(known, column.type) or known
    selects = []
    for table in newest_first:
        own = {c.name: c.type for c in table.columns}
        items = [
            f"{_view_expression(name, kind, own.get(name))} AS {quote_name(name)}"
            for name, kind in shape.items()
        ]
        selects.append(f"SELECT {', '.join(items)} FROM {database}.{quote_name(table.name)} FINAL")
    return f"CREATE OR REPLACE VIEW {qualified_view} AS\n" + "\nUNION ALL\n".join(selects)


def _view_expression(name: str, wanted: str, own: str | None) -> str:
    if own == wanted:
        return quote_name(name)
    nullable_ok = not wanted.startswith(_NULLABLE_CAPABLE_NOT)
    if own is None:
        if nullable_ok:
            return f"CAST(NULL, {quote('Nullable(' + wanted + ')')})"
        return f"defaultValueOfTypeName({quote(wanted)})"
    if nullable_ok:
        return f"accurateCastOrNull({quote_name(name)}, {quote(wanted)})"
    return f"CAST({quote_name(name)}, {quote(wanted)})"


class Catalog:
    """Schema id → table decisions for one warehouse database."""

    def __init__(self, warehouse: Warehouse, database: str = "ugc") -> None:
        self.warehouse = warehouse
        self.database = database
        self._targets: dict[int, Target] = {}
        self._mapped: dict[int, str] = {}
        # Decided ahead of their first message (`prepare`): recorded in the map when it comes.
        self._unrecorded: dict[int, tuple[Plan, tuple[str, ...]]] = {}

    def start(self) -> None:
        """Create the database and the map table if needed; read the map."""
        db = self.database
        self.warehouse.command(f"CREATE DATABASE IF NOT EXISTS {db}")
        self.warehouse.command(
            f"CREATE TABLE IF NOT EXISTS {db}.{MAP_TABLE} (event_type String, topic String,"
            " schema_id UInt32, table String, version UInt32, first_partition Int32,"
            " first_offset Int64, decision String,"
            " decided_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC'))"
            " ENGINE = ReplacingMergeTree ORDER BY (event_type, schema_id)"
        )
        self._read_map()

    def _read_map(self) -> None:
        rows = self.warehouse.rows(
            f"SELECT schema_id, table FROM {self.database}.{MAP_TABLE} FINAL"
        )
        self._mapped = {int(schema_id): str(table) for schema_id, table in rows}

    def stage_for(self, schema_id: int, topic: str, partition: int) -> str:
        """The Memory table a fast-path insert decodes into first (see etl.clickhouse)."""
        digest = hashlib.sha1(f"{topic}:{partition}".encode()).hexdigest()[:12]
        return f"{self.database}._stage_{schema_id}_{digest}"

    def tables_of(self, topic: str) -> list[str]:
        """Qualified names of every versioned table of the topic's event type."""
        prefix = event_type_of(topic) + "_v"
        rows = self.warehouse.rows(
            "SELECT name FROM system.tables WHERE database = {db:String}"
            " AND startsWith(name, {prefix:String}) AND engine LIKE '%MergeTree'",
            {"db": self.database, "prefix": prefix},
        )
        return [
            f"{self.database}.{quote_name(r[0])}" for r in rows if r[0][len(prefix) :].isdigit()
        ]

    def target(self, schema_id: int, root: Node, seen: FirstSeen) -> Target:
        """The table for messages of `schema_id`; creates or alters tables when needed.

        Raises MappingError when the writer schema has no table shape."""
        cached = self._targets.get(schema_id)
        if cached is None:
            return self._target(schema_id, root, seen.topic, seen)
        unrecorded = self._unrecorded.get(schema_id)
        if unrecorded is not None:
            self._record(schema_id, *unrecorded, seen)
            del self._unrecorded[schema_id]
        return cached

    def prepare(self, schema_id: int, root: Node, topic: str) -> Target:
        """`target` ahead of the first message of `schema_id` on `topic`: tables and view
        made as `target` would make them; the decision is recorded in the map, with where
        the schema id was first seen, when its first message comes through `target`.

        The caller decides that deciding early cannot change the outcome (see
        WarehouseSink.prepare): a decision depends on which writer schemas came before."""
        cached = self._targets.get(schema_id)
        return cached if cached is not None else self._target(schema_id, root, topic, None)

    def _target(self, schema_id: int, root: Node, topic: str, seen: FirstSeen | None) -> Target:
        columns = tuple(columns_of(root))
        if schema_id not in self._mapped:
            self._read_map()
        table = self._mapped.get(schema_id)
        if table is None:
            table = self._decide(schema_id, columns, topic, seen)
        target = Target(f"{self.database}.{quote_name(table)}", columns)
        self._targets[schema_id] = target
        return target

    def is_mapped(self, schema_id: int) -> bool:
        """Whether the map holds a decision for `schema_id` (read again if not known)."""
        if schema_id not in self._mapped:
            self._read_map()
        return schema_id in self._mapped

    def _decide(
        self, schema_id: int, columns: tuple[Column, ...], topic: str, seen: FirstSeen | None
    ) -> str:
        event_type = event_type_of(topic)
        reasons: tuple[str, ...] = ()  # why a version was opened: the plan that opened it
        for _ in range(5):
            decided = plan(event_type, self._newest(event_type), columns)
            if not decided.alters and not decided.opens_table:
                break
            reasons += decided.reasons
            self._apply(decided)
        else:
            decided = plan(event_type, self._newest(event_type), columns)
        if decided.alters or decided.opens_table:
            raise RuntimeError(f"tables of {event_type} keep changing under schema {schema_id}")
        if seen is None:
            self._unrecorded[schema_id] = (decided, reasons)
        else:
            self._record(schema_id, decided, reasons, seen)
        self._refresh_view(event_type)
        return decided.table

    def _apply(self, decided: Plan) -> None:
        qualified = f"{self.database}.{quote_name(decided.table)}"
        if decided.create is not None:
            log.info(
                "opening table %s%s",
                qualified,
                f": {'; '.join(decided.reasons)}" if decided.reasons else "",
            )
            self.warehouse.command(create_statement(qualified, decided.create))
        for alter in decided.alters:
            if isinstance(alter, AddColumn):
                statement = f"ADD COLUMN IF NOT EXISTS {_column_definition(alter.column)}"
            else:
                assert isinstance(alter, ModifyColumn)
                statement = f"MODIFY COLUMN {quote_name(alter.name)} {alter.type}"
            log.info("extending table %s: %s", qualified, statement)
            self.warehouse.command(f"ALTER TABLE {qualified} {statement}")
        # The view is refreshed once, by `_decide`, which every decision ends with.

    def _record(
        self, schema_id: int, decided: Plan, reasons: tuple[str, ...], seen: FirstSeen
    ) -> None:
        event_type, topic = event_type_of(seen.topic), seen.topic
        partition, offset = seen.partition, seen.offset
        self.warehouse.insert_json(
            f"{self.database}.{MAP_TABLE}",
            [
                {
                    "event_type": event_type,
                    "topic": topic,
                    "schema_id": schema_id,
                    "table": decided.table,
                    "version": decided.version,
                    "first_partition": partition,
                    "first_offset": offset,
                    "decision": json.dumps({"reasons": list(reasons)}),
                }
            ],
            token=f"map/{event_type}/{schema_id}",
        )
        self._mapped[schema_id] = decided.table
        log.info(
            "schema id %d of %s loads into %s.%s (first seen at partition %d offset %d)",
            schema_id,
            topic,
            self.database,
            decided.table,
            partition,
            offset,
        )

    def versions(self, event_type: str) -> list[TableState]:
        rows = self.warehouse.rows(
            "SELECT table, name, type, default_kind FROM system.columns"
            " WHERE database = {db:String} AND startsWith(table, {prefix:String})"
            " ORDER BY table, position",
            {"db": self.database, "prefix": event_type + "_v"},
        )
        by_table: dict[str, list[ExistingColumn]] = {}
        for table, name, kind, default_kind in rows:
            suffix = table[len(event_type) + 2 :]
            if suffix.isdigit():
                by_table.setdefault(table, []).append(
                    ExistingColumn(name, normalise_type(kind), default_kind == "DEFAULT")
                )
        return [
            TableState(table, int(table[len(event_type) + 2 :]), tuple(columns))
            for table, columns in by_table.items()
        ]

    def _newest(self, event_type: str) -> TableState | None:
        versions = self.versions(event_type)
        return max(versions, key=lambda t: t.version) if versions else None

    def _refresh_view(self, event_type: str) -> None:
        versions = self.versions(event_type)
        if versions:
            view = f"{self.database}.{quote_name(event_type)}"
            self.warehouse.command(view_statement(view, self.database, versions))

    def loaded_offsets(self, topic: str, partition: int, from_offset: int) -> set[int]:
        """Offsets >= `from_offset` of one partition that some table of the topic holds."""
        tables = self.tables_of(topic)
        if not tables:
            return set()
        union = " UNION ALL ".join(
            f"SELECT _offset FROM {t} WHERE _topic = {{topic:String}}"
            " AND _partition = {partition:UInt32} AND _offset >= {start:UInt64}"
            for t in tables
        )
        rows = self.warehouse.rows(
            union, {"topic": topic, "partition": partition, "start": from_offset}
        )
        return {int(r[0]) for r in rows}
