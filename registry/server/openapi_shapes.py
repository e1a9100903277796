"""The parts the registry's OpenAPI document (`registry.server.openapi`) is built from: its
path parameters and flags, request and response bodies, the error body of each status (the
codes `registry.client.errors.ErrorCode` gives it, plus the bare status framework errors
use) and the shape of one operation.
"""

from __future__ import annotations

from typing import Any

from registry.client.errors import ErrorCode
from registry.client.models import MAX_VERSION, CompatibilityLevel, Mode
from registry.server.http import MEDIA_TYPES

OPENAPI_VERSION = "3.0.3"
REF = "#/components/schemas/"
_STATUS_TEXT = {
    400: "The body is not a JSON object",
    401: "Writes need valid HTTP Basic credentials",
    404: "No such subject, version, schema or setting (see error_code)",
    406: "The Accept header names no media type the registry produces",
    409: "The schema is incompatible with the subject's versions under its level",
    415: "The body is not JSON",
    422: "Invalid schema, version, subject, level or mode; or the mode or a reference forbids it",
    500: "The store (Kafka) failed or timed out",
}
SUBJECT = {
    "name": "subject",
    "in": "path",
    "required": True,
    "description": "Subject name, percent-encoded; control characters are refused (42208)",
    "schema": {"type": "string", "minLength": 1, "pattern": "^[^\\x00-\\x1f\\x7f]+$"},
}
VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "description": f"1 to {MAX_VERSION}, `latest` or -1 (latest); anything else is 42202",
    "schema": {
        "anyOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
            {"type": "integer", "enum": [-1]},
            {"type": "string", "enum": ["latest"]},
        ]
    },
}
_EXAMPLE_SCHEMA = (
    '{"type":"record","name":"Rating","namespace":"ugc.events","fields":['
    '{"name":"film_id","type":"string"},{"name":"score","type":"int"}]}'
)
ID_PARAM = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "A schema id, registry-wide",
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}


def flag(name: str, meaning: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{meaning}: `true` in any letter case; any other value is false",
        "schema": {"type": "string"},
    }


def text_param(name: str, meaning: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": meaning,
        "schema": {"type": "string"},
    }


DELETED = flag("deleted", "Include soft-deleted subjects or versions")
PERMANENT = flag("permanent", "Hard-delete what was soft-deleted before")
PREFIX = text_param("subjectPrefix", "Only subjects starting with this text")


def content(schema: dict[str, Any]) -> dict[str, Any]:
    return {media: {"schema": schema} for media in MEDIA_TYPES}


def ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": content(schema)}


def error_schema(status: int) -> dict[str, Any]:
    """`{"error_code", "message"}` with the codes of `status`."""
    codes = sorted({status} | {code.value for code in ErrorCode if code.status == status})
    return {
        "type": "object",
        "required": ["error_code", "message"],
        "properties": {
            "error_code": {"type": "integer", "enum": codes},
            "message": {"type": "string"},
        },
        "additionalProperties": False,
    }


def operation(
    operation_id: str,
    summary: str,
    ok: dict[str, Any],
    statuses: tuple[int, ...],
    parameters: list[dict[str, Any]] | None = None,
    *,
    body: str | None = None,
) -> dict[str, Any]:
    responses = {"200": ok}
    for status in sorted({*statuses, 406, 500, *((400, 415) if body else ())}):
        responses[str(status)] = error_response(status)
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters or [],
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": content({"$ref": REF + body})}
    return operation


def error_response(status: int) -> dict[str, Any]:
    return {
        "description": _STATUS_TEXT[status],
        "content": content({"$ref": f"{REF}Error{status}"}),
    }


def require_credentials(paths: dict[str, Any]) -> None:
    """Every POST, PUT and DELETE needs HTTP Basic credentials (reads stay open)."""
    for operations in paths.values():
        for method, operation in operations.items():
            if method in ("post", "put", "delete"):
                operation["security"] = [{"basic": []}]
                operation["responses"]["401"] = {
                    **error_response(401),
                    "headers": {
                        "WWW-Authenticate": {"required": True, "schema": {"type": "string"}}
                    },
                }


def components(auth: bool) -> dict[str, Any]:
    reference = {
        "type": "object",
        "required": ["name", "subject", "version"],
        "properties": {
            "name": {"type": "string"},
            "subject": {"type": "string"},
            "version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
        },
    }
    schema_text = {
        "type": "string",
        "pattern": "\\S",
        "description": "The Avro schema as JSON text; 42201 unless it parses",
        "example": _EXAMPLE_SCHEMA,
    }
    levels = [level.value for level in CompatibilityLevel]
    schemas: dict[str, Any] = {
        "SchemaRequest": {
            "type": "object",
            "required": ["schema"],
            "description": "Other members are ignored",
            "example": {"schema": _EXAMPLE_SCHEMA},
            "properties": {
                "schema": schema_text,
                "schemaType": {"type": "string", "enum": ["AVRO", None], "nullable": True},
                "references": {"type": "array", "items": reference, "nullable": True},
                "id": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 2**31 - 1,
                    "nullable": True,
                    "description": "Honoured in IMPORT mode only (else 42205)",
                },
            },
        },
        "Schema": {
            "type": "object",
            "required": ["schema"],
            "properties": {
                "schema": {"type": "string"},
                "schemaType": {"type": "string", "enum": ["JSON", "PROTOBUF"]},
                "references": {"type": "array", "items": reference},
            },
            "additionalProperties": False,
        },
        "RegisteredSchema": {
            "type": "object",
            "required": ["subject", "version", "id", "schema"],
            "properties": {
                "subject": {"type": "string"},
                "version": {"type": "integer", "minimum": 1},
                "id": {"type": "integer", "minimum": 1},
                "schema": {"type": "string"},
                "schemaType": {"type": "string", "enum": ["JSON", "PROTOBUF"]},
                "references": {"type": "array", "items": reference},
            },
            "additionalProperties": False,
        },
        "ConfigRequest": {
            "type": "object",
            "description": (
                "`compatibility`, or `compatibilityLevel` when there is no `compatibility`; "
                "any letter case"
            ),
            "properties": {
                "compatibility": {"type": "string", "enum": levels},
                "compatibilityLevel": {"description": "read when there is no compatibility"},
            },
            "anyOf": [
                {"required": ["compatibility"]},
                {
                    "required": ["compatibilityLevel"],
                    "not": {"required": ["compatibility"]},
                    "properties": {"compatibilityLevel": {"type": "string", "enum": levels}},
                },
            ],
        },
        "ModeRequest": {
            "type": "object",
            "required": ["mode"],
            "properties": {"mode": {"type": "string", "enum": [mode.value for mode in Mode]}},
        },
    }
    for status in sorted({*(code.status for code in ErrorCode), 400, 404, 405, 406, 415}):
        schemas[f"Error{status}"] = error_schema(status)
    components: dict[str, Any] = {"schemas": schemas}
    if auth:
        components["securitySchemes"] = {"basic": {"type": "http", "scheme": "basic"}}
    return components
