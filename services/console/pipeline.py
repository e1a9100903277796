"""The pipeline page's service: dead letters and their replay, where an event landed in the
warehouse, and per event type how many rows the warehouse holds and how fresh they are.

Dead letters are read from the ETL's dead-letter topic in its record format: the original
key and value untouched, and headers `ugc.reason`, `ugc.error`, `ugc.source.topic`,
`ugc.source.partition`, `ugc.source.offset`, `ugc.schema_id`, `ugc.failed_at` (ms). A replay
produces the original key and value to the source topic, with `ugc.replayed_from` naming the
letter. The warehouse is read through clickhouse-connect, only by query parameters: the
only identifiers in the SQL are table names the warehouse itself listed (and checked
against a strict pattern), so nothing a user types is ever spliced into SQL.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.console.cluster import Cluster, Delivered
from services.console.decoding import Decoded, MessageDecoder
from services.console.errors import BadInputError, NotFoundError, WarehouseUnavailableError
from services.console.reader import RawMessage
from services.console.settings import ConsoleSettings
from ugc.errors import UgcError
from ugc.warehouse import connect

HEADER_PREFIX = "ugc."
REPLAYED_FROM = "ugc.replayed_from"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSIONED = re.compile(r"^(?P<event_type>[a-z][a-z0-9_]*)_v(?P<version>[0-9]+)$")


class Warehouse(Protocol):
    """Read-only SQL with bound parameters (`{name:Type}` placeholders)."""

    def rows(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]: ...


class ClickHouseWarehouse:
    """`Warehouse` over clickhouse-connect, connected on first use (or over `client`)."""

    def __init__(self, dsn: str, client: Any = None) -> None:
        self._dsn = dsn
        self._client = client

    def rows(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            if self._client is None:
                self._client = connect(self._dsn, role="console")
            result = self._client.query(sql, parameters=parameters)
        except UgcError as exc:
            raise WarehouseUnavailableError(str(exc)) from exc
        except Exception as exc:  # clickhouse-connect raises its own and requests' errors
            raise WarehouseUnavailableError(f"the warehouse refused a query: {exc}") from exc
        return [tuple(row) for row in result.result_rows]


@dataclass(frozen=True)
class DeadLetter:
    raw: RawMessage
    reason: str
    error: str
    source_topic: str
    source_partition: int
    source_offset: int
    schema_id: int | None
    failed_at_ms: int | None
    decoded: Decoded | None = None

    @property
    def source(self) -> str:
        return f"{self.source_topic}[{self.source_partition}]@{self.source_offset}"


def _pretty_row(text: object) -> str:
    try:
        return json.dumps(json.loads(str(text)), indent=2, ensure_ascii=False)
    except ValueError:
        return str(text)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def dead_letter(raw: RawMessage) -> DeadLetter:
    headers = {name: value.decode("utf-8", "replace") for name, value in raw.headers}

    def get(name: str) -> str:
        return headers.get(HEADER_PREFIX + name, "")

    return DeadLetter(
        raw,
        reason=get("reason") or "unknown",
        error=get("error"),
        source_topic=get("source.topic"),
        source_partition=_int(get("source.partition")) or 0,
        source_offset=_int(get("source.offset")) or 0,
        schema_id=_int(get("schema_id")),
        failed_at_ms=_int(get("failed_at")),
    )


@dataclass
class DeadLetters:
    topic: str
    exists: bool
    letters: list[DeadLetter] = field(default_factory=list)
    total: int = 0
    by_reason: list[tuple[str, int]] = field(default_factory=list)
    by_source: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Landing:
    """One row an event became."""

    table: str
    topic: str
    partition: int
    offset: int
    schema_id: int
    loaded_at: Any
    event_id: str
    row: str  # the whole row, as ClickHouse writes it in JSONEachRow


@dataclass(frozen=True)
class Freshness:
    event_type: str
    view: str
    rows: int
    events: int
    last_loaded: Any
    last_occurred: Any
    tables: tuple[str, ...]


@dataclass(frozen=True)
class SchemaTable:
    """One decision of the ETL: the messages a writer schema wrote load into this table.
    `reasons` say why it opened a new version (none when the table read the writer as it
    was, or after adding columns)."""

    event_type: str
    schema_id: int
    table: str
    version: int
    first_partition: int
    first_offset: int
    reasons: tuple[str, ...]


def decision_reasons(decision: str) -> tuple[str, ...]:
    """The reasons in the ETL's recorded decision, `{"reasons": [...]}` (etl.tables); any
    other text is shown whole rather than dropped."""
    try:
        parsed = json.loads(decision)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("reasons"), list):
        return tuple(str(reason) for reason in parsed["reasons"])
    return (decision,) if decision else ()


MAP_TABLE = "_schema_tables"


class Pipeline:
    def __init__(
        self,
        settings: ConsoleSettings,
        cluster: Cluster,
        decoder: MessageDecoder,
        warehouse: Warehouse | None,
    ) -> None:
        self.topic = settings.console_dead_letter_topic
        self.database = settings.console_warehouse_database
        if not _IDENTIFIER.match(self.database):
            raise ValueError(f"UGC_CONSOLE_WAREHOUSE_DATABASE {self.database!r} is not a name")
        self.cluster = cluster
        self.decoder = decoder
        self.warehouse = warehouse or ClickHouseWarehouse(settings.clickhouse_dsn)

    def dead_letters(self, newest: int = 200) -> DeadLetters:
        try:
            state = self.cluster.topic(self.topic)
        except NotFoundError:
            return DeadLetters(self.topic, exists=False)
        found = DeadLetters(self.topic, exists=True, total=state.messages)
        reasons: Counter[str] = Counter()
        sources: Counter[str] = Counter()
        for partition in state.partitions:
            start = max(partition.low, partition.high - newest)
            for raw in self.cluster.read(self.topic, partition.partition, start, partition.high):
                letter = dead_letter(raw)
                reasons[letter.reason] += 1
                sources[letter.source_topic] += 1
                found.letters.append(letter)
        found.letters.sort(key=lambda letter: letter.raw.timestamp_ms or 0, reverse=True)
        found.letters = found.letters[:newest]
        found.by_reason = reasons.most_common()
        found.by_source = sources.most_common()
        return found

    def letter(self, partition: int, offset: int) -> DeadLetter:
        found = self.cluster.read(self.topic, partition, offset, offset + 1)
        if not found:
            raise NotFoundError(f"no dead letter at {self.topic}[{partition}]@{offset}")
        letter = dead_letter(found[0])
        decoded = self.decoder.decode(letter.raw.value)
        return DeadLetter(**{**letter.__dict__, "decoded": decoded})

    def replay(self, partition: int, offset: int) -> tuple[DeadLetter, Delivered]:
        letter = self.letter(partition, offset)
        if not letter.source_topic:
            raise BadInputError("this dead letter does not name its source topic")
        self.cluster.topic(letter.source_topic)
        headers = [(REPLAYED_FROM, f"{self.topic}[{partition}]@{offset}".encode())]
        delivered = self.cluster.produce(
            letter.source_topic, letter.raw.value, key=letter.raw.key, headers=headers
        )
        return letter, delivered

    def _tables(self) -> list[tuple[str, str]]:
        """(name, engine) of the tables and views of the warehouse database."""
        rows = self.warehouse.rows(
            "SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name",
            {"db": self.database},
        )
        return [(str(n), str(e)) for n, e in rows if _IDENTIFIER.match(str(n))]

    def _versioned(self, event_type: str | None = None) -> list[str]:
        names = []
        for name, engine in self._tables():
            match = _VERSIONED.match(name)
            if match and engine != "View" and event_type in (None, match["event_type"]):
                names.append(name)
        return names

    def _landings(self, tables: Sequence[str], where: str, params: dict[str, Any]) -> list[Landing]:
        landings = []
        for table in tables:
            rows = self.warehouse.rows(
                "SELECT _topic, _partition, _offset, _schema_id, _loaded_at, toString(event_id), "
                f"formatRow('JSONEachRow', *) FROM `{self.database}`.`{table}` "
                f"WHERE {where} ORDER BY _loaded_at LIMIT 20",
                params,
            )
            landings += [
                Landing(table, str(t), int(p), int(o), int(s), at, str(e), _pretty_row(row))
                for t, p, o, s, at, e, row in rows
            ]
        return landings

    def find_event(self, event_id: str) -> list[Landing]:
        return self._landings(
            self._versioned(), "toString(event_id) = {id:String}", {"id": event_id.strip()}
        )

    def find_offset(self, topic: str, partition: int, offset: int) -> list[Landing]:
        event_type = topic.split(".", 1)[1] if "." in topic else topic
        where = "_topic = {t:String} AND _partition = {p:Int64} AND _offset = {o:Int64}"
        return self._landings(
            self._versioned(event_type), where, {"t": topic, "p": partition, "o": offset}
        )

    def freshness(self) -> list[Freshness]:
        """Per event type: rows and distinct events in its view (which is what analysts
        read), the newest `occurred_at` there, and the newest load into any version."""
        tables = self._tables()
        versioned: dict[str, list[str]] = {}
        for name, _ in tables:
            if match := _VERSIONED.match(name):
                versioned.setdefault(match["event_type"], []).append(name)
        views = [name for name, engine in tables if engine == "View" and name in versioned]
        found = []
        for view in views:
            ((rows, events, occurred),) = self.warehouse.rows(
                "SELECT count(), uniqExact(event_id), max(occurred_at) "
                f"FROM `{self.database}`.`{view}`",
                {},
            )
            loads = [
                self.warehouse.rows(f"SELECT max(_loaded_at) FROM `{self.database}`.`{t}`", {})
                for t in versioned[view]
            ]
            loaded = max((r[0][0] for r in loads if r and r[0][0] is not None), default=None)
            found.append(
                Freshness(
                    view,
                    f"{self.database}.{view}",
                    int(rows),
                    int(events),
                    loaded,
                    occurred,
                    tuple(versioned[view]),
                )
            )
        return found

    def schema_map(self) -> list[SchemaTable]:
        """The ETL's record of which table each writer schema loads into (empty before the
        ETL has made its first decision)."""
        if MAP_TABLE not in {name for name, _ in self._tables()}:
            return []
        rows = self.warehouse.rows(
            "SELECT event_type, schema_id, table, version, first_partition, first_offset, "
            f"decision FROM `{self.database}`.`{MAP_TABLE}` FINAL "
            "ORDER BY event_type, schema_id",
            {},
        )
        return [
            SchemaTable(str(e), int(s), str(t), int(v), int(p), int(o), decision_reasons(str(d)))
            for e, s, t, v, p, o, d in rows
        ]
