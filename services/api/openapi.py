"""The OpenAPI 3.0 document of the ingest API, generated from what the API itself runs on.

Each event type's body is `registry.client.payload_schema` written from the marshmallow
schema the validator reads that event with (its latest registered Avro schema), so the two
cannot disagree; nested records are written inline (every event type carries its own copy of
`ugc.Context`, and one shared component for copies that may differ between versions would
be wrong). A batch item is a union discriminated by `type`. The error body of each status
lists exactly the error codes `services.api.errors.HTTP_ANSWERS` gives that status. One
operation per event type (`POST /api/v1/events/film_rating`) stands for the route
`/api/v1/events/<event_type>`, whose body depends on the type: a single generic operation
could not say which body goes with which type. The document is rebuilt only when the
catalog's snapshot changes.
"""

from __future__ import annotations

import threading
from typing import Any

from apispec import APISpec

from contracts.conventions import CLIENT_OPTIONAL_FIELDS, SERVER_OWNED_FIELDS
from registry.client.payload_schema import payload_json_schema
from services.api.catalog.event_types import EventType, Snapshot
from services.api.catalog.examples import example_for
from services.api.errors import HTTP_ANSWERS, InvalidEventError, UnknownEventTypeError
from services.api.settings import ApiSettings

OPENAPI_VERSION = "3.0.3"
_SCHEMAS = "#/components/schemas/"
_EVENT_STATUSES = (400, 401, 404, 413, 415, 422, 429, 500, 503)
_BATCH_STATUSES = (400, 401, 413, 415, 422, 429, 500, 503)
_DESCRIPTIONS = {
    400: "The body is not JSON text, or a header cannot be read",
    401: "Missing, expired or forged token",
    404: "Unknown event type; `known_event_types` lists the registered ones",
    413: "The body or the batch is over its limit",
    415: "The body is not application/json",
    422: "The event does not fit its schema; `errors` lists every problem with its path",
    429: "Over this user's rate limit; retry after Retry-After seconds",
    500: "Kafka refused the event for good, or the API failed",
    503: "Kafka or the registry is unavailable; retry after Retry-After seconds",
}
_PROBLEM = {
    "type": "object",
    "required": ["path", "message"],
    "properties": {
        "index": {"type": "integer", "minimum": 0, "description": "position in a batch"},
        "path": {
            "type": "string",
            "example": "context.user_agent",
            "description": "dotted path of the field; empty for the payload itself",
        },
        "message": {"type": "string"},
    },
    "additionalProperties": False,
}
# Members some errors add to the body (`ApiError.details`), by the class that adds them.
_DETAILS: dict[type, tuple[str, dict[str, Any]]] = {
    InvalidEventError: ("errors", {"type": "array", "minItems": 1, "items": _PROBLEM}),
    UnknownEventTypeError: (
        "known_event_types",
        {"type": "array", "items": {"type": "string"}},
    ),
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": 'Always `Bearer realm="ugc"`',
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": (
        "Becomes the event_id of an event whose payload has none: the key itself when it is "
        "a UUID, else uuid5 of the user and the key, so a retry gets the same id. In a batch "
        "the event at index i uses `<key>:<i>`."
    ),
}
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _SCHEMAS + name}


def error_schema(status: int) -> dict[str, Any]:
    """The error body of one status: the codes the errors table gives it, and the members
    the errors answering it add."""
    classes = [cls for cls, (code_status, _) in HTTP_ANSWERS.items() if code_status == status]
    properties: dict[str, Any] = {
        "error": {"type": "string", "enum": sorted({HTTP_ANSWERS[cls][1] for cls in classes})},
        "status": {"type": "integer", "enum": [status]},
        "message": {"type": "string"},
    }
    required = ["error", "status", "message"]
    for cls in classes:
        if cls in _DETAILS:
            name, schema = _DETAILS[cls]
            properties[name] = schema
            if all(_DETAILS.get(other, ("",))[0] == name for other in classes):
                required.append(name)  # every error of this status adds it
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def _error_responses(statuses: tuple[int, ...]) -> dict[str, Any]:
    responses = {}
    for status in statuses:
        response = _json(_ref(f"Error{status}"), _DESCRIPTIONS[status])
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        responses[str(status)] = response
    return responses


def _common_schemas(spec: APISpec, settings: ApiSettings) -> None:
    accepted = {
        "type": "object",
        "required": ["event_id", "topic", "partition", "offset"],
        "properties": {
            "event_id": {"type": "string", "format": "uuid"},
            "topic": {"type": "string"},
            "partition": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    }
    spec.components.schema("Accepted", accepted)
    spec.components.schema(
        "BatchAccepted",
        {
            "type": "object",
            "required": ["accepted", "results"],
            "properties": {
                "accepted": {"type": "integer", "minimum": 1},
                "results": {"type": "array", "items": _ref("Accepted")},
            },
            "additionalProperties": False,
        },
    )
    for status in sorted({status for status, _ in HTTP_ANSWERS.values()}):
        spec.components.schema(f"Error{status}", error_schema(status))
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A JWT whose `sub` is the user's UUID (it becomes the event's user_id and "
                "Kafka key) and which has an `exp`; signed with HS256 or RS256 as deployed."
            ),
        },
    )


def _event_operation(event_type: EventType, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": f"send_{event_type.name}",
        "summary": f"Send one {event_type.name} event",
        "description": event_type.avro.get("doc", ""),
        "tags": ["events"],
        "security": _BEARER,
        "parameters": [_IDEMPOTENCY_KEY],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(event_type.name), "example": example}},
        },
        "responses": {
            "202": _json(_ref("Accepted"), "Acknowledged by Kafka"),
            **_error_responses(_EVENT_STATUSES),
        },
    }


def _batch_schemas(spec: APISpec, names: list[str], settings: ApiSettings) -> dict[str, Any]:
    """The batch item of each type, the union of them discriminated by `type`, the batch."""
    mapping = {}
    for name in names:
        item = f"BatchItem.{name}"
        spec.components.schema(
            item,
            {
                "type": "object",
                "required": ["type", "event"],
                "properties": {"type": {"type": "string", "enum": [name]}, "event": _ref(name)},
                "additionalProperties": False,
            },
        )
        mapping[name] = _SCHEMAS + item
    union: dict[str, Any] = {
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }
    batch = {
        "type": "array",
        "minItems": 1,
        "maxItems": settings.api_max_batch_events,
        "items": union if names else {"not": {}},
    }
    spec.components.schema("Batch", batch)
    return {
        "operationId": "send_batch",
        "summary": (
            f"Send up to {settings.api_max_batch_events} events "
            f"({settings.api_max_body_bytes} bytes) at once; all are valid or none is sent"
        ),
        "tags": ["events"],
        "security": _BEARER,
        "parameters": [_IDEMPOTENCY_KEY],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("Batch")}},
        },
        "responses": {
            "202": _json(_ref("BatchAccepted"), "All acknowledged by Kafka"),
            **_error_responses(_BATCH_STATUSES),
        },
    }


def build_document(
    snapshot: Snapshot, examples: dict[str, dict[str, Any]], settings: ApiSettings
) -> dict[str, Any]:
    spec = APISpec(
        title="ugc ingest API",
        version="1",
        openapi_version=OPENAPI_VERSION,
        info={"description": "Typed user events, validated against the schema registry."},
    )
    _common_schemas(spec, settings)
    names = sorted(snapshot.types)
    for name in names:
        event_type = snapshot.types[name]
        body = payload_json_schema(
            event_type.schema,
            pointer=_SCHEMAS + name,
            server_owned=SERVER_OWNED_FIELDS,
            optional=CLIENT_OPTIONAL_FIELDS,
        )
        spec.components.schema(name, body)
        example = example_for(event_type, examples)
        spec.path(
            f"/api/v1/events/{name}", operations={"post": _event_operation(event_type, example)}
        )
    spec.path("/api/v1/events", operations={"post": _batch_schemas(spec, names, settings)})
    _read_paths(spec)
    return spec.to_dict()


def _get(operation_id: str, summary: str, tag: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [tag],
            "responses": responses,
        }
    }


def _read_paths(spec: APISpec) -> None:
    registry_down = _error_responses((500, 503))
    listed = {
        "type": "object",
        "required": ["event_types"],
        "properties": {"event_types": {"type": "array", "items": _EVENT_TYPE}},
        "additionalProperties": False,
    }
    spec.path(
        "/api/v1/event-types",
        operations=_get(
            "list_event_types",
            "Event types, their versions and an example of each",
            "catalog",
            {"200": _json(listed, "The registered event types"), **registry_down},
        ),
    )
    spec.path(
        "/api/openapi.json",
        operations=_get(
            "openapi_document",
            "This document",
            "catalog",
            {"200": _json({"type": "object"}, "OpenAPI 3.0"), **registry_down},
        ),
    )
    _operations_paths(spec)


_EVENT_TYPE = {
    "type": "object",
    "required": [
        "event_type",
        "topic",
        "subject",
        "version",
        "schema_id",
        "doc",
        "endpoint",
        "example",
    ],
    "properties": {
        "event_type": {"type": "string"},
        "topic": {"type": "string"},
        "subject": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "schema_id": {"type": "integer", "minimum": 0},
        "doc": {"type": "string", "nullable": True},
        "endpoint": {"type": "string"},
        "example": {"type": "object"},
    },
    "additionalProperties": False,
}


def _operations_paths(spec: APISpec) -> None:
    health = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": ["ok"]}},
        "additionalProperties": False,
    }
    readiness = {
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ready", "unavailable"]},
            "checks": {
                "type": "object",
                "required": ["kafka", "registry"],
                "properties": {"kafka": {"type": "string"}, "registry": {"type": "string"}},
                "additionalProperties": False,
                "description": "`ok`, or what is wrong",
            },
        },
        "additionalProperties": False,
    }
    not_ready = _json(readiness, "Kafka or the registry does not answer")
    not_ready["headers"] = {"Retry-After": _RETRY_AFTER}
    metrics = {"content": {"text/plain": {"schema": {"type": "string"}}}}
    spec.path(
        "/healthz",
        operations=_get(
            "healthz", "The process answers", "operations", {"200": _json(health, "OK")}
        ),
    )
    spec.path(
        "/readyz",
        operations=_get(
            "readyz",
            "Kafka and the registry answer",
            "operations",
            {"200": _json(readiness, "Ready"), "503": not_ready},
        ),
    )
    spec.path(
        "/metrics",
        operations=_get(
            "metrics",
            "Prometheus metrics, every worker's",
            "operations",
            {"200": {"description": "Prometheus text format", **metrics}},
        ),
    )


class DocumentCache:
    """The document for the latest snapshot; rebuilt when the snapshot changes."""

    def __init__(self, examples: dict[str, dict[str, Any]], settings: ApiSettings) -> None:
        self._examples = examples
        self._settings = settings
        self._built: tuple[Snapshot, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def document(self, snapshot: Snapshot) -> dict[str, Any]:
        with self._lock:
            if self._built is None or self._built[0].types != snapshot.types:
                self._built = (snapshot, build_document(snapshot, self._examples, self._settings))
            return self._built[1]
