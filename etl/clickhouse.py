"""The ETL's only contact with clickhouse-connect: statements, the two kinds of insert, and
the translation of its exceptions, each with its retriable flag decided here.

The fast path inserts Confluent-framed values as they came from Kafka and lets ClickHouse
decode them (`AvroConfluent`, schemas fetched from our registry by id):

    INSERT INTO t (<writer's columns>, _schema_id, _topic, _partition, _offset)
    SELECT <writer's columns>, <id>, <topic>, <partition>, <first offset> + rowNumberInAllBlocks()
    FROM input('<writer's columns and types>') FORMAT AvroConfluent      -- body: the values

Over HTTP (a ClickHouse server, or `ugc warehouse serve`) the values are the request body;
with an embedded `chdb://` warehouse they go through a temporary file read by `file()`,
the same SELECT. Only the writer's columns are listed, so ClickHouse fills the others with
their DEFAULT. The Python path inserts decoded rows (`insert_rows`).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
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
# The data of the insert is at fault: parse errors, bad values, wrong sizes.
_DATA_CODES = frozenset(
    {6, 26, 27, 32, 33, 38, 41, 53, 69, 70, 72, 75, 76, 117, 131, 190, 321, 407, 691, 1001}
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


def translate(exc: Exception, what: str) -> Exception:
    """The ETL error for a clickhouse-connect failure while doing `what`."""
    text = str(exc)
    unreachable = isinstance(exc, OperationalError) or not isinstance(exc, DatabaseError)
    if unreachable or _REGISTRY_TROUBLE.search(text):
        return WarehouseDownError(f"{what}: {text[:500]}")
    code = error_code(exc)
    if code in _RETRIABLE_CODES:
        return WarehouseDownError(f"{what}: {text[:500]}")
    if code in _DATA_CODES:
        return WarehouseRejectedError(f"{what}: {text[:500]}", code=code)
    return FatalEtlError(f"{what}: {text[:1000]}")


class Warehouse:
    """A clickhouse-connect client with the ETL's statements; `embedded` for chdb://."""

    def __init__(self, client: Client, *, embedded: bool, registry_url: str) -> None:
        self.client = client
        self.embedded = embedded
        self.registry_url = registry_url

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
        metadata: dict[str, int | str],
        first_offset: int,
        values: bytes,
        token: str,
    ) -> None:
        """The fast path: ClickHouse decodes the framed `values` (one per consecutive offset)."""
        names = ", ".join(quote_name(c.name) for c in columns)
        struct = ", ".join(f"{quote_name(c.name)} {c.type}" for c in columns)
        constants = ", ".join(_literal(v) for v in metadata.values())
        target = ", ".join([names, *metadata, "_offset"])
        select = f"SELECT {names}, {constants}, {first_offset} + rowNumberInAllBlocks()"
        settings = {
            "format_avro_schema_registry_url": self.registry_url,
            "insert_deduplicate": 1,
            "insert_deduplication_token": token,
        }
        head = f"INSERT INTO {table} ({target}) {select}"
        try:
            if self.embedded:
                self._insert_from_file(head, struct, values, settings)
            else:
                self.client.command(
                    f"{head} FROM input({quote(struct)}) FORMAT AvroConfluent",
                    data=values,
                    settings=settings,
                )
        except (ClickHouseError, OSError) as exc:
            raise translate(exc, f"insert into {table}") from exc

    def _insert_from_file(
        self, head: str, struct: str, values: bytes, settings: dict[str, Any]
    ) -> None:
        handle, path = tempfile.mkstemp(prefix="ugc-etl-", suffix=".avro")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(values)
            source = f"file({quote(path)}, 'AvroConfluent', {quote(struct)})"
            self.client.command(f"{head} FROM {source}", settings=settings)
        finally:
            os.unlink(path)

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
            raise translate(exc, f"insert into {table}") from exc
        except (ValueError, TypeError, OverflowError) as exc:
            raise WarehouseRejectedError(f"insert into {table}: {exc!r}") from exc


def _literal(value: int | str) -> str:
    return str(value) if isinstance(value, int) else quote(value)
