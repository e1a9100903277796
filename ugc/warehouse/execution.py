"""Running one statement on a chdb connection: the insert path and the query path.

An INSERT whose rows follow it goes through `send_insert(statement, format)`, fed piece by
piece from the request body, and commits only when the body ended cleanly; any failure
(a parse error, a truncated body, a client gone) cancels it. A query either streams
(`send_query`, block by block) when its output format can be cut between blocks (chdb
encodes each block on its own, so formats with a header or footer, such as JSON or
CSVWithNames, would repeat them), or runs whole (`query`). Errors become ClickHouseError
with chdb's own code and message.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ugc.warehouse.exceptions import from_chdb
from ugc.warehouse.sql import InsertData

# Formats whose per-block encodings concatenate into one valid stream.
STREAMABLE = frozenset(
    {
        "Native", "RowBinary", "TabSeparated", "TSV", "TabSeparatedRaw", "TSVRaw", "CSV",
        "JSONEachRow", "NDJSON", "JSONLines", "JSONCompactEachRow", "JSONStringsEachRow",
        "JSONCompactStringsEachRow", "LineAsString", "RawBLOB", "Values",
    }
)  # fmt: skip
# chdb streams SELECTs only (DESCRIBE, SHOW, … answer "Streaming query is not supported").
READING_KINDS = frozenset({"SELECT", "WITH", "("})


@dataclass
class Summary:
    """X-ClickHouse-Summary: the counters ClickHouse reports, as strings in JSON."""

    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, result: Any) -> None:
        self.read_rows += int(result.rows_read())
        self.read_bytes += int(result.bytes_read())

    def as_header(self) -> dict[str, str]:
        elapsed_ns = int((time.monotonic() - self.started) * 1e9)
        return {
            "read_rows": str(self.read_rows),
            "read_bytes": str(self.read_bytes),
            "written_rows": str(self.written_rows),
            "written_bytes": str(self.written_bytes),
            "total_rows_to_read": str(self.read_rows),
            "result_rows": str(self.written_rows),
            "result_bytes": str(self.written_bytes),
            "elapsed_ns": str(elapsed_ns),
        }


def insert(conn: Any, data: InsertData, rows: Iterable[bytes], summary: Summary) -> None:
    """Stream `rows` into the insert; commit only after the last piece arrived intact."""
    try:
        inserter = conn.send_insert(data.statement.decode(), data.format)
    except Exception as exc:
        raise from_chdb(exc) from exc
    try:
        for piece in rows:
            inserter.append(piece)
        result = inserter.finish()
    except BaseException as exc:
        with contextlib.suppress(Exception):  # the original failure is the one to report
            inserter.cancel()
        if isinstance(exc, RuntimeError):
            raise from_chdb(exc) from exc
        raise
    summary.written_rows += result.rows_written
    summary.written_bytes += result.bytes_written


class Result:
    """A query's output, block by block; `close()` cancels what was not read."""

    def __init__(self, stream: Any, summary: Summary) -> None:
        self._stream = stream
        self._summary = summary

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                block = self._stream.fetch()
            except Exception as exc:
                raise from_chdb(exc) from exc
            if block is None:
                return
            self._summary.add(block)
            data = block.bytes()
            if data:
                yield data

    def close(self) -> None:
        with contextlib.suppress(Exception):  # cancelling a finished stream may complain
            self._stream.cancel()


def query(
    conn: Any,
    sql: str,
    fmt: str,
    params: dict[str, str],
    summary: Summary,
    *,
    stream: bool,
) -> Iterator[bytes]:
    """The output of `sql` in `fmt`; the first block is computed before this returns."""
    if stream:
        try:
            handle = conn.send_query(sql, fmt, params=params)
        except Exception as exc:
            raise from_chdb(exc) from exc
        result = Result(handle, summary)
        blocks = iter(result)
        try:
            first = next(blocks, None)
        except BaseException:
            result.close()
            raise
        return _chain(first, blocks, result)
    try:
        whole = conn.query(sql, fmt, params=params)
    except Exception as exc:
        raise from_chdb(exc) from exc
    summary.add(whole)
    summary.written_rows += int(whole.rows_written())
    summary.written_bytes += int(whole.bytes_written())
    return iter([whole.bytes()])


def _chain(first: bytes | None, rest: Iterator[bytes], result: Result) -> Iterator[bytes]:
    try:
        if first is not None:
            yield first
        yield from rest
    finally:
        result.close()
