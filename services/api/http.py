"""HTTP conventions of the ingest API that no single route owns: reading a JSON body within
its size limit, and JSON answers."""

from __future__ import annotations

import json
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
    400 when it does not parse."""
    mimetype = request.mimetype
    if mimetype != JSON and not mimetype.endswith("+json"):
        given = mimetype or "no Content-Type"
        raise UnsupportedMediaTypeError(f"the body must be {JSON}, got {given}")
    length = request.content_length
    if length is not None and length > max_bytes:
        raise PayloadTooLargeError(f"the body is {length} bytes; the limit is {max_bytes}")
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"the body is over the limit of {max_bytes} bytes")
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise MalformedRequestError("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise MalformedRequestError(f"the body is not valid JSON: {exc.msg} at {where}") from None
