"""One HTTP connection of the warehouse server: routing, and a query from request to response.

For `/`: authenticate (`auth`), read the interface's parameters (`request`), take the
session if one is named (`sessions`), open a fresh chdb connection with the preamble
(ClickHouse server's `enable_http_compression = 0` where chdb's default differs,
`readonly = 1` for a read-only user, the session's SET/USE, `USE <database>`, the URL's
settings, then `readonly = 2` for a GET as ClickHouse does), read the statement from the URL
and the body, and either stream an INSERT's rows into chdb or send the query's result
(`execution`, `responses`). Errors before the headers are ClickHouse's error responses;
errors after them are tagged exception blocks.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from chdb.state.sqlitelike import Connection

from ugc.warehouse import auth, compression, execution, request, responses
from ugc.warehouse.body import Body
from ugc.warehouse.engine import quote_identifier, set_statement
from ugc.warehouse.exceptions import ClickHouseError, Code, raised
from ugc.warehouse.sessions import Session
from ugc.warehouse.sql import Statement

if TYPE_CHECKING:
    from ugc.warehouse.server import WarehouseServer

log = logging.getLogger(__name__)

_PSEUDO_FORMATS = frozenset({"dataframe", "arrowtable", "datastore", "debug"})
_SPOOL_IN_MEMORY = 16 << 20
_NO_HANDLE = (
    "There is no handle {path}\n\nUse / or /ping for health checks.\n"
    "Or /replicas_status for more sophisticated health checks.\n\n"
    "Send queries from your program with POST method or GET /?query=...\n"
)


@dataclass
class Effective:
    """Settings in force once the preamble ran, that shape the response."""

    readonly: int
    compression: bool
    timezone: str
    level: int


@dataclass
class Reply:
    """How a query's result goes out: its format, settings, counters and compression."""

    fmt: str
    effective: Effective
    summary: execution.Summary
    method: str | None  # Content-Encoding, None for none
    encoder: compression.Encoder | None


class QueryHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ugc-warehouse"
    timeout = 120.0
    # TCP_NODELAY: a streamed answer is written as headers, chunks and a terminator; with
    # Nagle's algorithm each write after the first waited for the client's delayed ACK, and
    # every SELECT took ~47 ms instead of ~6 (measured through clickhouse-connect).
    disable_nagle_algorithm = True
    server: WarehouseServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self._sent = False
        self._query_id = ""
        if url.path in ("/ping", "/replicas_status"):
            self._plain(200, "Ok.\n", method)
        elif url.path == "/":
            self._root(method, parse_qsl(url.query, keep_blank_values=True))
        else:
            self._plain(404, _NO_HANDLE.format(path=url.path), method)

    def _plain(self, status: int, text: str, method: str = "GET") -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)

    def _root(self, method: str, pairs: list[tuple[str, str]]) -> None:
        self._headers = {name.lower(): value for name, value in self.headers.items()}
        body = Body(self.rfile, self._headers) if method == "POST" else None
        try:
            parsed = request.parse(method, pairs)
            self._query_id = parsed.query_id
            if method != "POST" and not parsed.query:
                self._plain(200, "Ok.\n", method)
                return
            principal = auth.authenticate(
                self.server.settings.warehouse_users,
                dict(pairs),
                self._headers,
                self.client_address[0],
            )
            content_type = self._headers.get("content-type", "")
            if body is not None and content_type.startswith("multipart/form-data"):
                request.read_form(parsed, body, content_type)
                body = None
            self._in_session(parsed, principal, body)
        except ClickHouseError as exc:
            self._failed(exc, body)

    def _in_session(
        self, parsed: request.QueryRequest, principal: auth.Principal, body: Body | None
    ) -> None:
        if parsed.session_id is None:
            self._execute(parsed, principal, None, body)
            return
        with self.server.sessions.use(
            principal.name,
            parsed.session_id,
            timeout=parsed.session_timeout,
            check=parsed.session_check,
            close=parsed.close_session,
        ) as session:
            self._execute(parsed, principal, session, body)

    def _execute(
        self,
        parsed: request.QueryRequest,
        principal: auth.Principal,
        session: Session | None,
        body: Body | None,
    ) -> None:
        engine = self.server.engine
        conn = engine.connection(_preamble(parsed, principal, session))
        try:
            effective = self._effective(conn, parsed, principal, session)
            with engine.running(parsed.query_id):
                text = request.QueryText(
                    parsed.query, body, self.server.settings.warehouse_max_query_size
                )
                statement = text.statement()
                _refuse_unsupported(statement)
                summary = execution.Summary()
                if statement.insert is not None:
                    execution.insert(conn, statement.insert, text.rows(statement), summary)
                    self._inserted(summary)
                else:
                    self._query(
                        conn, parsed, statement, text.head, effective=effective, summary=summary
                    )
                if session is not None and statement.kind in ("SET", "USE"):
                    session.remember(text.head.decode())
                log.info(
                    "%s %s %s read %d rows, wrote %d rows (query_id %s)",
                    self.command,
                    principal.name,
                    statement.kind or "-",
                    summary.read_rows,
                    summary.written_rows,
                    parsed.query_id,
                )
        finally:
            conn.close()

    def _effective(
        self,
        conn: Connection,
        parsed: request.QueryRequest,
        principal: auth.Principal,
        session: Session | None,
    ) -> Effective:
        """Read back the settings that shape the response; probe chdb only when needed."""
        wants_compression = compression.choose(self._headers.get("accept-encoding", ""))
        if parsed.method == "GET" or wants_compression or (session and session.statements):
            row = conn.query(
                "SELECT getSetting('readonly'), getSetting('enable_http_compression'), "
                "getSetting('session_timezone'), getSetting('http_zlib_compression_level')",
                "TSV",
            )
            readonly, compress, timezone, level = row.bytes().decode().rstrip("\n").split("\t")
            effective = Effective(int(readonly), compress in ("1", "true"), timezone, int(level))
        else:
            effective = Effective(
                1 if principal.readonly else int(parsed.settings.get("readonly", "0") or 0),
                parsed.settings.get("enable_http_compression", "0") in ("1", "true"),
                parsed.settings.get("session_timezone", ""),
                3,
            )
        if parsed.method == "GET" and effective.readonly == 0:
            conn.query("SET readonly = 2", "TSV")
            effective.readonly = 2
        effective.timezone = effective.timezone or self.server.engine.timezone
        return effective

    def _common_headers(self) -> None:
        self.send_header(
            "X-ClickHouse-Server-Display-Name", self.server.settings.warehouse_display_name
        )
        self.send_header("X-ClickHouse-Query-Id", self._query_id)

    def _inserted(self, summary: execution.Summary) -> None:
        self.send_response(200)
        self._common_headers()
        self.send_header("X-ClickHouse-Summary", responses.summary_header(summary.as_header()))
        self.send_header("Content-Length", "0")
        self.end_headers()
        self._sent = True

    def _query(
        self,
        conn: Connection,
        parsed: request.QueryRequest,
        statement: Statement,
        head: bytes,
        *,
        effective: Effective,
        summary: execution.Summary,
    ) -> None:
        fmt = statement.output_format or parsed.default_format or "TabSeparated"
        if fmt.lower() in _PSEUDO_FORMATS:
            raise raised(Code.UNKNOWN_FORMAT, f"Unknown output format {fmt}")
        try:
            sql = head.decode()
        except UnicodeDecodeError:
            raise raised(Code.SYNTAX_ERROR, "The query is not valid UTF-8") from None
        stream = statement.kind in execution.READING_KINDS and fmt in execution.STREAMABLE
        blocks = execution.query(conn, sql, fmt, parsed.params, summary, stream=stream)
        method = compression.choose(self._headers.get("accept-encoding", ""))
        if not effective.compression:
            method = None
        encoder = compression.encoder(method, effective.level) if method else None
        reply = Reply(fmt, effective, summary, method, encoder)
        with contextlib.closing(Closable(blocks)):
            if stream and not parsed.wait_end_of_query:
                self._stream(blocks, reply)
            else:
                self._whole(blocks, reply)

    def _result_headers(self, reply: Reply) -> None:
        self.send_response(200)
        self._common_headers()
        self.send_header("Content-Type", responses.content_type(reply.fmt))
        self.send_header("X-ClickHouse-Format", reply.fmt)
        self.send_header("X-ClickHouse-Timezone", reply.effective.timezone)
        summary = reply.summary.as_header()
        self.send_header("X-ClickHouse-Summary", responses.summary_header(summary))
        if reply.method:
            self.send_header("Content-Encoding", reply.method)

    def _whole(self, blocks: Iterator[bytes], reply: Reply) -> None:
        """Compute the whole result first (spooled to disk past 16 MiB), then send it."""
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            for data in responses.compress_all(blocks, reply.encoder):
                spool.write(data)
            size = spool.tell()
            spool.seek(0)
            self._result_headers(reply)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self._sent = True
            if self.command != "HEAD":
                while piece := spool.read(1 << 20):
                    self.wfile.write(piece)

    def _stream(self, blocks: Iterator[bytes], reply: Reply) -> None:
        """Send blocks as chdb produces them; a later failure becomes a tagged block."""
        tag = responses.new_exception_tag()
        self._result_headers(reply)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-ClickHouse-Exception-Tag", tag)
        self.end_headers()
        self._sent = True
        writer = responses.ChunkedWriter(self.wfile, reply.encoder)  # type: ignore[arg-type]
        try:
            for block in blocks:
                writer.write(block)
        except ClickHouseError as exc:
            log.info("query %s failed mid-stream: %s", self._query_id, exc)
            writer.write(responses.exception_block(exc, tag))
            self.close_connection = True
        except OSError as exc:
            log.info("query %s: client went away mid-stream (%s)", self._query_id, exc)
            self.close_connection = True
            return
        writer.finish()

    def _failed(self, exc: ClickHouseError, body: Body | None) -> None:
        log.info("%s failed: %s (query_id %s)", self.command, exc, self._query_id)
        if self._sent:
            self.close_connection = True
            return
        if body is not None and not body.consumed and not body.drain():
            self.close_connection = True
        data = exc.body().encode()
        self.send_response(exc.status)
        self._common_headers()
        self.send_header("X-ClickHouse-Exception-Code", str(exc.code))
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _preamble(
    parsed: request.QueryRequest, principal: auth.Principal, session: Session | None
) -> list[str]:
    # ClickHouse server's defaults where chdb's differ, then the user's profile.
    defaults = "SET enable_http_compression = 0"
    statements = [defaults + (", readonly = 1" if principal.readonly else "")]
    if session is not None:
        statements.extend(session.statements)
    if parsed.database:
        statements.append(f"USE {quote_identifier(parsed.database)}")
    if parsed.settings:
        statements.append(set_statement(parsed.settings))
    return statements


def _refuse_unsupported(statement: Statement) -> None:
    if statement.outfile:
        raise raised(
            Code.NOT_IMPLEMENTED,
            "INTO OUTFILE and FROM INFILE are client-side clauses; the server refuses them",
        )
    if statement.multiple:
        raise raised(Code.SYNTAX_ERROR, "Multi-statements are not allowed")


class Closable:
    """Lets `contextlib.closing` close a generator or do nothing for a plain iterator."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks

    def close(self) -> None:
        close = getattr(self._blocks, "close", None)
        if close is not None:
            close()
