"""ClickHouse exceptions as the HTTP interface reports them: a code, a name, a status.

Every failure the server answers is a `ClickHouseError`: either raised by chdb (its message
already reads `Code: N. DB::Exception: … (NAME)`; `from_chdb` recovers the code and name)
or raised by the server itself for what it checks before chdb sees a query (credentials,
sessions, request shape), with the code ClickHouse uses for the same condition. `status`
maps the code name to the HTTP status exactly as ClickHouse's exceptionCodeToHTTPStatus
does; anything not listed there is a 500, as in ClickHouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum


class Code(IntEnum):
    """The ClickHouse error codes this server raises itself (numbers from ClickHouse)."""

    CANNOT_READ_ALL_DATA = 33
    BAD_ARGUMENTS = 36
    NOT_IMPLEMENTED = 48
    SYNTAX_ERROR = 62
    UNKNOWN_FORMAT = 73
    UNKNOWN_COMPRESSION_METHOD = 89
    READONLY = 164
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING = 216
    CANNOT_DECOMPRESS = 271
    SESSION_NOT_FOUND = 372
    SESSION_IS_LOCKED = 373
    INVALID_SESSION_TIMEOUT = 374
    HTTP_LENGTH_REQUIRED = 381
    QUERY_WAS_CANCELLED = 394
    AUTHENTICATION_FAILED = 516
    UNKNOWN_EXCEPTION = 1002


_BAD_REQUEST = {
    "BAD_ARGUMENTS", "CANNOT_COMPILE_REGEXP", "CANNOT_PARSE_TEXT", "CANNOT_PARSE_ESCAPE_SEQUENCE",
    "CANNOT_PARSE_QUOTED_STRING", "CANNOT_PARSE_DATE", "CANNOT_PARSE_DATETIME",
    "CANNOT_PARSE_NUMBER", "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING", "CANNOT_PARSE_IPV4",
    "CANNOT_PARSE_IPV6", "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "CANNOT_PARSE_UUID",
    "DUPLICATE_COLUMN", "ILLEGAL_COLUMN", "UNKNOWN_ELEMENT_IN_AST", "UNKNOWN_TYPE_OF_AST_NODE",
    "THERE_IS_NO_COLUMN", "TOO_DEEP_AST", "TOO_BIG_AST", "UNEXPECTED_AST_STRUCTURE",
    "SYNTAX_ERROR", "INCORRECT_DATA", "TYPE_MISMATCH", "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
}  # fmt: skip
_NOT_FOUND = {
    "UNKNOWN_TABLE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER", "UNKNOWN_TYPE", "UNKNOWN_STORAGE",
    "UNKNOWN_DATABASE", "UNKNOWN_SETTING", "UNKNOWN_DIRECTION_OF_SORTING",
    "UNKNOWN_AGGREGATE_FUNCTION", "UNKNOWN_FORMAT", "UNKNOWN_DATABASE_ENGINE",
    "UNKNOWN_TYPE_OF_QUERY", "UNKNOWN_ROLE",
}  # fmt: skip
_FORBIDDEN = {
    "UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE",
    "ACCESS_DENIED",
}  # fmt: skip
_OTHER = {
    "REQUIRED_PASSWORD": 401,
    "QUERY_IS_TOO_LARGE": 413,
    "NOT_IMPLEMENTED": 501,
    "SOCKET_TIMEOUT": 503,
    "CANNOT_OPEN_FILE": 503,
    "CANNOT_SCHEDULE_TASK": 503,
    "HTTP_LENGTH_REQUIRED": 411,
    "TIMEOUT_EXCEEDED": 408,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}

_CHDB_MESSAGE = re.compile(r"Code: (\d+)\. ")
_NAME = re.compile(r"\(([A-Z][A-Z0-9_]+)\)(?: \(version [^)]*\))?\s*$")


@dataclass
class ClickHouseError(Exception):
    """A query or request failed; `detail` is the text after `DB::Exception: `."""

    code: int
    name: str
    detail: str

    def __str__(self) -> str:
        return self.body().rstrip("\n")

    def body(self) -> str:
        """The response body ClickHouse sends: `Code: N. DB::Exception: … (NAME)`."""
        return f"Code: {self.code}. DB::Exception: {self.detail}\n"

    @property
    def status(self) -> int:
        if self.name in _BAD_REQUEST:
            return 400
        if self.name in _NOT_FOUND:
            return 404
        if self.name in _FORBIDDEN:
            return 403
        return _OTHER.get(self.name, 500)


def raised(code: Code, message: str) -> ClickHouseError:
    """An error the server raises itself, with ClickHouse's code for the condition."""
    return ClickHouseError(int(code), code.name, f"{message.rstrip('.')}. ({code.name})")


def from_chdb(exc: BaseException) -> ClickHouseError:
    """Recover ClickHouse's code, name and message from an exception chdb raised."""
    text = str(exc)
    match = _CHDB_MESSAGE.search(text)
    if match is None:
        return raised(Code.UNKNOWN_EXCEPTION, text.strip() or type(exc).__name__)
    rest = text[match.end() :].strip()
    rest = rest.removeprefix("DB::Exception: ")
    name_match = _NAME.search(rest)
    name = name_match.group(1) if name_match else "UNKNOWN_EXCEPTION"
    return ClickHouseError(int(match.group(1)), name, rest)
