"""The OpenAPI 3 document, generated from the registered Avro schemas.

Each event type's payload is the marshmallow schema `registry.client.payload` builds from its
latest schema, rendered by apispec's MarshmallowPlugin; nested records are written inline
(every event type carries its own copy of `ugc.Context`, and one shared component name for
copies that may differ between versions would be wrong). The document is rebuilt only when
the catalog's snapshot changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from contracts.conventions import CLIENT_OPTIONAL_FIELDS, SERVER_OWNED_FIELDS
from registry.client.payload import build_payload_schema
from services.api.catalog.event_types import EventType, Snapshot
from services.api.catalog.examples import example_for

OPENAPI_VERSION = "3.0.3"
_ERROR = {"$ref": "#/components/schemas/Error"}
_ACCEPTED = {"$ref": "#/components/schemas/Accepted"}


def _inline_nested(schema: type[Schema]) -> str | None:
    """apispec writes a nested schema inline when its name resolver answers None."""
    return None


# apispec's annotation says str, its documentation and code accept None.
_INLINE_NESTED = cast(Callable[[type[Schema]], str], _inline_nested)


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ERROR, "The body is not valid JSON"),
    "401": _json(_ERROR, "Missing, expired or forged token"),
    "413": _json(_ERROR, "The body or the batch is too large"),
    "415": _json(_ERROR, "The body is not application/json"),
    "422": _json(_ERROR, "The event does not fit its schema; `errors` lists every problem"),
    "429": _json(_ERROR, "Rate limit exceeded; see Retry-After"),
    "503": _json(_ERROR, "Kafka or the registry is unavailable; retry after Retry-After"),
}


def _common_schemas(spec: APISpec) -> None:
    spec.components.schema(
        "Accepted",
        {
            "type": "object",
            "properties": {
                "event_id": {"type": "string", "format": "uuid"},
                "topic": {"type": "string"},
                "partition": {"type": "integer"},
                "offset": {"type": "integer"},
            },
        },
    )
    problem = {
        "type": "object",
        "properties": {
            "index": {"type": "integer", "description": "position in a batch"},
            "path": {"type": "string", "example": "context.user_agent"},
            "message": {"type": "string"},
        },
    }
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string"},
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "errors": {"type": "array", "items": problem},
                "known_event_types": {"type": "array", "items": {"type": "string"}},
            },
        },
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )


def _event_path(event_type: EventType, example: dict[str, Any]) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{event_type.name}"}
    return {
        "post": {
            "summary": f"Send one {event_type.name} event",
            "description": event_type.avro.get("doc", ""),
            "tags": ["events"],
            "security": [{"bearer": []}],
            "parameters": [_IDEMPOTENCY_KEY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref, "example": example}},
            },
            "responses": {"202": _json(_ACCEPTED, "Acknowledged by Kafka"), **_ERRORS},
        }
    }


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Becomes the event_id when the payload has none (uuid5 unless a UUID).",
}


def build_document(snapshot: Snapshot, examples: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec = APISpec(
        title="ugc ingest API",
        version="1",
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin(schema_name_resolver=_INLINE_NESTED)],
        info={"description": "Typed user events, validated against the schema registry."},
    )
    _common_schemas(spec)
    refs = []
    for name in sorted(snapshot.types):
        event_type = snapshot.types[name]
        payload = build_payload_schema(
            event_type.schema, server_owned=SERVER_OWNED_FIELDS, optional=CLIENT_OPTIONAL_FIELDS
        )
        spec.components.schema(name, schema=payload)
        refs.append({"$ref": f"#/components/schemas/{name}"})
        spec.path(
            f"/api/v1/events/{name}",
            operations=_event_path(event_type, example_for(event_type, examples)),
        )
    _generic_paths(spec, refs)
    return spec.to_dict()


def _generic_paths(spec: APISpec, refs: list[dict[str, Any]]) -> None:
    any_event = {"oneOf": refs} if refs else {"type": "object"}
    item = {
        "type": "object",
        "required": ["type", "event"],
        "properties": {"type": {"type": "string"}, "event": any_event},
    }
    batch_result = {
        "type": "object",
        "properties": {
            "accepted": {"type": "integer"},
            "results": {"type": "array", "items": _ACCEPTED},
        },
    }
    secured = {"security": [{"bearer": []}], "parameters": [_IDEMPOTENCY_KEY], "tags": ["events"]}
    spec.path(
        "/api/v1/events/{event_type}",
        operations={
            "post": {
                **secured,
                "summary": "Send one event of any registered type",
                "parameters": [
                    {
                        "name": "event_type",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    _IDEMPOTENCY_KEY,
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": any_event}},
                },
                "responses": {
                    "202": _json(_ACCEPTED, "Acknowledged by Kafka"),
                    "404": _json(_ERROR, "Unknown event type; lists the known ones"),
                    **_ERRORS,
                },
            }
        },
    )
    spec.path(
        "/api/v1/events",
        operations={
            "post": {
                **secured,
                "summary": "Send up to 500 events (1 MiB) at once; all are valid or none is sent",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "array", "items": item}}},
                },
                "responses": {"202": _json(batch_result, "All acknowledged by Kafka"), **_ERRORS},
            }
        },
    )
    plain = {"description": "OK"}
    spec.path(
        "/api/v1/event-types",
        operations={
            "get": {
                "summary": "Event types, versions and examples",
                "tags": ["catalog"],
                "responses": {"200": plain},
            }
        },
    )
    spec.path(
        "/healthz",
        operations={
            "get": {
                "summary": "The process answers",
                "tags": ["operations"],
                "responses": {"200": plain},
            }
        },
    )
    spec.path(
        "/readyz",
        operations={
            "get": {
                "summary": "Kafka and the registry answer",
                "tags": ["operations"],
                "responses": {"200": plain, "503": _json(_ERROR, "Not ready")},
            }
        },
    )
    spec.path(
        "/metrics",
        operations={
            "get": {
                "summary": "Prometheus metrics",
                "tags": ["operations"],
                "responses": {"200": plain},
            }
        },
    )


class DocumentCache:
    """The document for the latest snapshot; rebuilt when the snapshot changes."""

    def __init__(self, examples: dict[str, dict[str, Any]]) -> None:
        self._examples = examples
        self._built: tuple[Snapshot, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def document(self, snapshot: Snapshot) -> dict[str, Any]:
        with self._lock:
            if self._built is None or self._built[0].types != snapshot.types:
                self._built = (snapshot, build_document(snapshot, self._examples))
            return self._built[1]
