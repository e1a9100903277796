"""HTTP conventions of the Confluent API, independent of any one resource.

Content negotiation (request bodies and `Accept`), the raw-path routing that keeps
percent-encoded subjects intact, case-insensitive boolean query parameters, request body
parsing and the JSON answers themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from registry.client.models import (
    MAX_VERSION,
    RegisteredSchema,
    SchemaId,
    SchemaReference,
    SchemaType,
    Subject,
    Version,
)
from registry.client.wire import MAX_SCHEMA_ID
from registry.server import errors
from registry.server.queries import VersionSpec
from registry.server.records import schema_fields
from registry.server.service import SchemaRequest, parse_version, validate_subject

MEDIA_TYPES = (
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
)
BODY_TYPES = {*MEDIA_TYPES, "application/octet-stream", ""}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RawPath:
    """WSGI middleware: route on the raw request path, so `ns%2Ftopic-value` stays one
    segment, and ignore a trailing slash."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw:
            path = urlsplit(raw).path if "://" in raw else raw.split("?", 1)[0]
            environ["PATH_INFO"] = path
        path_info = environ.get("PATH_INFO", "")
        if len(path_info) > 1 and path_info.endswith("/"):
            environ["PATH_INFO"] = path_info.rstrip("/") or "/"
        return self.app(environ, start_response)


class SubjectConverter(BaseConverter):
    """One raw path segment, percent-decoded only after routing."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)


class NotAcceptableError(HTTPException):
    code = 406
    description = "Accept header names no media type this registry produces"


class UnsupportedMediaTypeError(HTTPException):
    code = 415
    description = "request body must be application/vnd.schemaregistry.v1+json or JSON"


def negotiated_type() -> str:
    if not request.headers.get("Accept"):
        return MEDIA_TYPES[0]
    best = request.accept_mimetypes.best_match(MEDIA_TYPES)
    if best is None:
        raise NotAcceptableError()
    return best


def check_body_type() -> None:
    if request.method in ("POST", "PUT") and request.mimetype not in BODY_TYPES:
        raise UnsupportedMediaTypeError()


def answer(payload: object, status: int = 200) -> Response:
    try:
        media = negotiated_type()
    except NotAcceptableError:
        media = "application/json"
    return Response(json.dumps(payload, separators=(",", ":")), status, content_type=media)


def raw_schema(text: str) -> Response:
    """The schema itself as the body (the `/schema` endpoints)."""
    return Response(text, 200, content_type=negotiated_type())


def flag(name: str, default: bool = False) -> bool:
    value = request.args.get(name)
    return default if value is None else value.strip().lower() == "true"


def subject_arg(subject: str) -> Subject:
    return validate_subject(subject)


def version_arg(version: str) -> VersionSpec:
    return parse_version(version)


def json_body() -> dict[str, Any]:
    """The request body as a JSON object; a body that is not one is a 422."""
    data = request.get_data(cache=True)
    try:
        body = json.loads(data) if data.strip() else {}
    except ValueError as exc:
        raise BadJsonError(f"Unrecognized JSON in request body: {exc}") from exc
    if not isinstance(body, dict):
        raise BadJsonError("request body must be a JSON object")
    return body


class BadJsonError(HTTPException):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)


def schema_request(body: dict[str, Any]) -> SchemaRequest:
    schema = body.get("schema")
    if not isinstance(schema, str) or not schema.strip():
        raise errors.InvalidSchemaError("Empty schema" if not schema else "schema must be a string")
    given_type = body.get("schemaType")
    try:
        schema_type = SchemaType("AVRO" if given_type is None else given_type.upper())
    except (ValueError, AttributeError) as exc:
        raise errors.InvalidSchemaError(
            f"Invalid schema type {given_type!r}: expected AVRO, JSON or PROTOBUF"
        ) from exc
    requested = body.get("id")
    if requested is not None and not _is_id(requested):
        raise errors.InvalidSchemaError(
            f"Invalid id {requested!r}: expected an integer from 1 to {MAX_SCHEMA_ID}"
        )
    schema_id = None if requested is None else SchemaId(requested)
    return SchemaRequest(schema, schema_type, _references(body.get("references")), schema_id)


def _is_id(value: object) -> bool:
    # JSON true is not an id, and Java clients read ids as signed 32-bit integers.
    return type(value) is int and 1 <= value <= MAX_SCHEMA_ID


def _references(raw: object) -> tuple[SchemaReference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise errors.InvalidSchemaError("references must be a list")
    found = []
    for item in raw:
        if not isinstance(item, dict):
            raise errors.InvalidSchemaError("each reference must be an object")
        name, subject, version = item.get("name"), item.get("subject"), item.get("version")
        if not isinstance(name, str) or not isinstance(subject, str):
            raise errors.InvalidSchemaError("a reference needs a string name and subject")
        if type(version) is not int or not 1 <= version <= MAX_VERSION:
            raise errors.InvalidSchemaError(f"reference {name!r} needs a positive version")
        found.append(SchemaReference(name, Subject(subject), Version(version)))
    return tuple(found)


def registered_json(item: RegisteredSchema) -> dict[str, Any]:
    """A RegisteredSchema in the 7.x shape (schemaType only when not Avro)."""
    return {
        "subject": item.subject,
        "version": item.version,
        "id": item.id,
        **schema_fields(item.schema, item.schema_type, item.references),
    }
