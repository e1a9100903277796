"""One HTTP request to `/`, read the way ClickHouse's HTTP interface reads it.

URL parameters are either the interface's own (`query`, `database`, `default_format`,
`query_id`, `session_id`, …), typed query parameters (`param_<name>`), or settings (every
other name, e.g. `max_execution_time`, `insert_deduplication_token`,
`format_avro_schema_registry_url`). The query text is the `query` parameter followed by a
newline and the body, or the body alone; for an INSERT the rows follow the statement, so
only the statement's head is read before the rows stream on (`QueryText`). A
`multipart/form-data` POST may carry `query` and `param_<name>` as form fields (what
clickhouse-connect sends for large parameters); file parts (external tables) are refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

from ugc.warehouse.body import Body
from ugc.warehouse.exceptions import Code, raised
from ugc.warehouse.sql import Statement, analyse

# Parameters of the HTTP interface itself; every other name except param_* is a setting.
INTERFACE_PARAMS = frozenset(
    {
        "query", "database", "default_format", "query_id", "session_id", "session_timeout",
        "session_check", "close_session", "user", "password", "quota_key", "compress",
        "decompress", "buffer_size", "wait_end_of_query", "stacktrace", "role",
        "client_protocol_version", "http_response_headers",
    }
)  # fmt: skip
_MAX_FORM = 16 << 20


@dataclass
class QueryRequest:
    method: str
    query: str = ""
    database: str | None = None
    default_format: str | None = None
    query_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    session_id: str | None = None
    session_timeout: str | None = None
    session_check: bool = False
    close_session: bool = False
    wait_end_of_query: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def parse(method: str, pairs: list[tuple[str, str]]) -> QueryRequest:
    request = QueryRequest(method)
    for name, value in pairs:
        if name.startswith("param_"):
            request.params[name[6:]] = value
        elif name in INTERFACE_PARAMS:
            _interface_param(request, name, value)
        else:
            request.settings[name] = value
    return request


def _interface_param(request: QueryRequest, name: str, value: str) -> None:
    if name == "query":
        request.query = value
    elif name == "database":
        request.database = value or None
    elif name == "default_format":
        request.default_format = value or None
    elif name == "query_id" and value:
        request.query_id = value
    elif name == "session_id":
        request.session_id = value or None
    elif name == "session_timeout":
        request.session_timeout = value
    elif name == "session_check":
        request.session_check = _flag(value)
    elif name == "close_session":
        request.close_session = _flag(value)
    elif name == "wait_end_of_query":
        request.wait_end_of_query = _flag(value)
    elif name in ("compress", "decompress") and _flag(value):
        raise raised(
            Code.NOT_IMPLEMENTED,
            f"'{name}=1' (ClickHouse's internal compression format) is not supported by this "
            "server; use Content-Encoding / Accept-Encoding instead",
        )
    elif name == "role" and value:
        raise raised(Code.NOT_IMPLEMENTED, "Roles are not supported by this server")


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def read_form(request: QueryRequest, body: Body, content_type: str) -> None:
    """Take `query` and `param_<name>` from a multipart/form-data body."""
    data = bytearray()
    for chunk in body.chunks():
        data += chunk
        if len(data) > _MAX_FORM:
            raise raised(Code.BAD_ARGUMENTS, "The multipart form is too large")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + bytes(data)
    )
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            raise raised(Code.NOT_IMPLEMENTED, "External tables are not supported by this server")
        payload = part.get_payload(decode=True)
        value = payload.decode() if isinstance(payload, bytes) else ""
        if name == "query":
            request.query = request.query + value if request.query else value
        elif isinstance(name, str) and name.startswith("param_"):
            request.params[name[6:]] = value


class QueryText:
    """The query: `query` + "\\n" + body, or the body; an INSERT's rows stream after it."""

    def __init__(self, url_query: str, body: Body | None, max_query_size: int) -> None:
        self._prefix = (url_query + "\n").encode() if url_query else b""
        self._chunks: Iterator[bytes] = iter(()) if body is None else body.chunks()
        self._max = max_query_size
        self.head = b""

    def statement(self) -> Statement:
        """Analyse the query; reads the body only as far as the statement needs."""
        self.head = self._prefix
        found = analyse(self.head) if self.head else None
        if found is not None and found.insert is not None:
            return found
        for chunk in self._chunks:
            self.head += chunk
            if len(self.head) > self._max:
                break
        found = analyse(self.head)
        if found.insert is None and len(self.head) > self._max:
            raise raised(
                Code.SYNTAX_ERROR,
                f"Max query size exceeded (max_query_size = {self._max}); send an INSERT's "
                "rows after its FORMAT clause",
            )
        if not self.head.strip():
            raise raised(Code.SYNTAX_ERROR, "Empty query")
        return found

    def rows(self, statement: Statement) -> Iterator[bytes]:
        """An INSERT's rows: the rest of the head after the statement, then the body."""
        assert statement.insert is not None
        rest = self.head[statement.insert.data_start :]
        if rest:
            yield rest
        yield from self._chunks
