"""The ETL's only contact with clickhouse-connect: statements, the two kinds of insert, and
the translation of its exceptions, each with its retriable flag decided here.

The fast path hands ClickHouse the Confluent-framed values as they came from Kafka and
lets it decode them (`AvroConfluent`, schemas fetched from our registry by id), in two
statements that work alike on a ClickHouse server, `ugc warehouse serve` and chdb:

    INSERT INTO <stage> (<writer's columns>) FORMAT AvroConfluent      -- body: the values
    INSERT INTO t (<writer's columns>, _schema_id, _topic, _partition, _offset)
    SELECT <writer's columns>, <id>, <topic>, <partition>, <first offset> + rowNumberInAllBlocks()
    FROM <stage>                                                       -- one stream, in order

The stage is a Memory table per (schema id, topic-partition), emptied after each use (and
before one when a failure may have left rows in it). The load metadata cannot ride on the
first statement: `INSERT … SELECT … FROM input()` is what ClickHouse offers, but chdb's
streaming insert (behind the warehouse server) refuses INSERT SELECT, and a DEFAULT using
rowNumberInAllBlocks() restarts at block boundaries (measured). An Avro container file
carrying `_offset` and the constants in every row can go straight into the table, but
ClickHouse decodes it more slowly than AvroConfluent plus the stage costs (measured;
etl/NOTES.md). Only the writer's columns are listed, so ClickHouse fills the others with
their DEFAULT. The Python path inserts decoded rows (`insert_rows`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError, OperationalError

from etl.errors import FatalEtlError, WarehouseDownError, WarehouseRejectedError
from etl.mapping import Column, quote, quote_name

log = logging.getLogger(__name__)

_CODE = re.compile(r"Code: (\d+)")
# Server-side conditions that pass: timeouts, overload, memory, too many parts, shutdown.
_RETRIABLE_CODES = frozenset(
    {159, 160, 164, 202, 203, 209, 210, 241, 242, 252, 285, 319, 394, 425, 999, 1000}
)
# Our statement, not the data, is at fault (a table or column gone, a bug, no rights): an
# insert failing with one of these stops the ETL instead of dead-lettering good messages.
_STATEMENT_CODES = frozenset(
    {8, 16, 36, 44, 46, 47, 60, 62, 81, 115, 158, 164, 192, 194, 195, 291, 497, 516}
)
# Said by ClickHouse when it could not reach the registry for a schema.
_REGISTRY_TROUBLE = re.compile(
    r"while fetching schema id.*(Connection refused|Timeout|timed out|HTTP status|Net Exception"
    r"|No message received|connect)",
    re.IGNORECASE | re.DOTALL,
)


def error_code(exc: BaseException) -> int | None:
    match = _CODE.search(str(exc))
    return int(match.group(1)) if match else None


def translate(exc: Exception, what: str, *, insert: bool = False) -> Exception:
    """The ETL error for a clickhouse-connect failure while doing `what`.

    Unreachable or overloaded: WarehouseDownError. An insert refused for any other reason
    than a faulty statement: WarehouseRejectedError (the data is at fault; the sink
    isolates the poison). Anything else: FatalEtlError."""
    text = str(exc)
    unreachable = isinstance(exc, OperationalError) or not isinstance(exc, DatabaseError)
    if unreachable or _REGISTRY_TROUBLE.search(text):
        return WarehouseDownError(f"{what}: {text[:500]}")
    code = error_code(exc)
    if code in _RETRIABLE_CODES:
        return WarehouseDownError(f"{what}: {text[:500]}")
    if insert and code not in _STATEMENT_CODES:
        return WarehouseRejectedError(f"{what}: {text[:500]}", code=code)
    return FatalEtlError(f"{what}: {text[:1000]}")


class Warehouse:
    """A clickhouse-connect client with the ETL's statements."""

    def __init__(self, client: Client, *, registry_url: str) -> None:
        self.client = client
        self.registry_url = registry_url
        self._stages: dict[str, tuple[tuple[str, str], ...]] = {}
        self._emptied: set[str] = set()  # stages this process left empty after a good load

    def command(self, sql: str, settings: dict[str, Any] | None = None) -> None:
        try:
            self.client.command(sql, settings=settings)
        except (ClickHouseError, OSError) as exc:
            raise translate(exc, sql.split("(", maxsplit=1)[0][:80]) from exc

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            return [tuple(row) for row in self.client.query(sql, parameters=parameters).result_rows]
        except (ClickHouseError, OSError) as exc:
            raise translate(exc, sql[:80]) from exc

    def insert_framed(
        self,
        table: str,
        columns: Sequence[Column],
        *,
        stage: str,
        metadata: dict[str, int | str],
        first_offset: int,
        values: bytes,
        count: int,
        token: str,
    ) -> None:
        """The fast path: ClickHouse decodes the `count` framed `values` (consecutive offsets
        from `first_offset`) into `stage`, then one INSERT … SELECT adds the load metadata."""
        self.stage(stage, columns)
        names = ", ".join(quote_name(c.name) for c in columns)
        try:
            # After a failure the stage may hold rows of the failed attempt: empty it first.
            if stage not in self._emptied:
                self.client.command(f"TRUNCATE TABLE {stage}")
            self._emptied.discard(stage)
            summary = self.client.raw_insert(
                stage,
                column_names=[c.name for c in columns],
                # A bytes block would be copied once more behind the INSERT statement; a
                # memoryview is sent as it is, the statement going in the URL.
                insert_block=memoryview(values),  # type: ignore[arg-type]  # urllib3 sends buffers
                fmt="AvroConfluent",
                settings={"format_avro_schema_registry_url": self.registry_url},
            )
        except (ClickHouseError, OSError) as exc:
            raise translate(exc, f"decoding into {stage}", insert=True) from exc
        if summary.written_rows not in (None, 0, count):
            raise WarehouseRejectedError(
                f"ClickHouse decoded {summary.written_rows} rows out of {count} messages"
            )
        constants = ", ".join(_literal(v) for v in metadata.values())
        target = ", ".join([names, *metadata, "_offset"])
        select = f"SELECT {names}, {constants}, {first_offset} + rowNumberInAllBlocks()"
        settings = {
            "insert_deduplicate": 1,
            "insert_deduplication_token": token,
            "max_threads": 1,  # one stream: rowNumberInAllBlocks follows the stage's order
            # The view reads FINAL, so collapsing duplicates at insert is wasted work: it
            # halved ClickHouse's own AvroConfluent load into this table (measured).
            "optimize_on_insert": 0,
        }
        try:
            self.client.command(
                f"INSERT INTO {table} ({target}) {select} FROM {stage}", settings=settings
            )
            self.client.command(f"TRUNCATE TABLE {stage}")
        except (ClickHouseError, OSError) as exc:
            raise translate(exc, f"insert into {table}", insert=True) from exc
        self._emptied.add(stage)

    def stage(self, stage: str, columns: Sequence[Column]) -> None:
        """Create the Memory table `stage` for rows of `columns`, unless this process has."""
        shape = tuple((c.name, c.type) for c in columns)
        if self._stages.get(stage) == shape:
            return
        definition = ", ".join(f"{quote_name(c.name)} {c.type}" for c in columns)
        self.command(f"DROP TABLE IF EXISTS {stage}")
        self.command(f"CREATE TABLE {stage} ({definition}) ENGINE = Memory")
        self._stages[stage] = shape
        self._emptied.add(stage)  # new and empty: the load that follows needs no TRUNCATE

    def insert_json(self, table: str, rows: Sequence[dict[str, Any]], token: str) -> None:
        """A few rows of plain values (str, int), as JSONEachRow: for bookkeeping tables.
        `client.insert` would do, but its check for a pandas DataFrame imports pandas (about
        0.9 s and 100 MB of RSS, measured), which the ETL otherwise never loads."""
        body = "".join(json.dumps(row) + "\n" for row in rows).encode()
        settings = {"insert_deduplicate": 1, "insert_deduplication_token": token}
        try:
            self.client.raw_insert(
                table,
                column_names=list(rows[0]),
                insert_block=memoryview(body),  # type: ignore[arg-type]  # as above
                fmt="JSONEachRow",
                settings=settings,
            )
        except (ClickHouseError, OSError) as exc:
            raise translate(exc, f"insert into {table}", insert=True) from exc

    def insert_rows(
        self, table: str, column_names: Sequence[str], rows: Sequence[Sequence[Any]], token: str
    ) -> None:
        """The Python path: rows already decoded, in `column_names` order."""
        settings = {"insert_deduplicate": 1, "insert_deduplication_token": token}
        try:
            self.client.insert(
                table,
                [tuple(row) for row in rows],
                column_names=list(column_names),
                settings=settings,
            )
        except (ClickHouseError, OSError) as exc:
            raise translate(exc, f"insert into {table}", insert=True) from exc
        except (ValueError, TypeError, OverflowError) as exc:
            raise WarehouseRejectedError(f"insert into {table}: {exc!r}") from exc


def _literal(value: int | str) -> str:
    return str(value) if isinstance(value, int) else quote(value)
