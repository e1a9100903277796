"""HTTP conventions of the ingest API that no single route owns: reading a JSON body within
its size limit, and JSON answers."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, request

from services.api.errors import (
    MalformedRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)

JSON = "application/json"


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status, headers=headers, mimetype=JSON)


def json_body(max_bytes: int) -> Any:
    """The request's JSON document: 415 unless it says it is JSON, 413 past `max_bytes`,
    400 when it does not parse. Reads the WSGI environ directly: this runs on every event
    and werkzeug's request properties cost more than the parsing."""
    environ = request.environ
    mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if mimetype != JSON and not mimetype.endswith("+json"):
        given = mimetype or "no Content-Type"
        raise UnsupportedMediaTypeError(f"the body must be {JSON}, got {given}")
    length = _content_length(environ.get("CONTENT_LENGTH"))
    if length is not None and length > max_bytes:
        raise PayloadTooLargeError(f"the body is {length} bytes; the limit is {max_bytes}")
    if length is not None:
        data = environ["wsgi.input"].read(length) if length else b""
    elif environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream
        data = environ["wsgi.input"].read(max_bytes + 1)
    else:
        data = b""
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"the body is over the limit of {max_bytes} bytes")
    if not data:
        raise MalformedRequestError("the body is empty; send a JSON document")
    try:
        body = json.loads(data)
    except UnicodeDecodeError:
        raise MalformedRequestError("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise MalformedRequestError(f"the body is not valid JSON: {exc.msg} at {where}") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise MalformedRequestError(f"the body cannot be read: {exc}") from None
    if _SURROGATE_ESCAPE.search(data) is not None:
        _refuse_lone_surrogates(body)
    return body


# JSON may escape half of a UTF-16 pair alone (`"\ud800"`); such a string has no UTF-8 form,
# so it could be neither written to Kafka nor echoed in an error. Pairs are read as one
# character, so only a lone half survives json.loads as a surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(body: Any) -> None:
    try:
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        message = "the body is not valid JSON text: it escapes a lone UTF-16 surrogate"
        raise MalformedRequestError(message) from None


def _content_length(header: str | None) -> int | None:
    if not header:
        return None
    try:
        length = int(header)
    except ValueError:
        raise MalformedRequestError(f"Content-Length is not a number: {header!r}") from None
    if length < 0:
        raise MalformedRequestError(f"Content-Length is negative: {length}")
    return length
