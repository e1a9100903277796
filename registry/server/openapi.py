"""The registry's OpenAPI 3.0 document (`GET /openapi.json`): the Confluent Schema Registry
API it implements (`registry/server/routes/`, the 7.x dialect of REGISTRY-API.md), with the
error body of every status.

Error bodies are `{"error_code", "message"}`; each status lists the error codes
`registry.client.errors.ErrorCode` gives it, plus the bare status that framework errors
(unknown path, bad JSON, media types) use. What a schema cannot say is said in the
descriptions: a schema is Avro text whose validity only parsing decides (422, 42201), a
write can be refused by the mode or by a reference (422, 42205 / 42206), boolean query
parameters are true when they read `true` in any case and false otherwise (Confluent's
reading), and unknown body fields are ignored. When writes need HTTP Basic credentials
(`UGC_REGISTRY_AUTH_USER`), the writing operations say so. The register operation links to
the reads of what it created and to its deletion, for stateful testing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from registry.client.models import CompatibilityLevel, Mode
from registry.server.http import answer
from registry.server.openapi_shapes import (
    DELETED,
    ID_PARAM,
    OPENAPI_VERSION,
    PERMANENT,
    PREFIX,
    REF,
    SUBJECT,
    VERSION,
    components,
    flag,
    ok,
    operation,
    require_credentials,
    text_param,
)


def _schemas_paths() -> dict[str, Any]:
    registered = {"type": "array", "items": {"$ref": REF + "RegisteredSchema"}}
    strings = {"type": "array", "items": {"type": "string"}}
    pairs = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["subject", "version"],
            "properties": {"subject": {"type": "string"}, "version": {"type": "integer"}},
            "additionalProperties": False,
        },
    }
    hint = text_param("subject", "A hint only: the id resolves whatever subject is named")
    latest_only = flag("latestOnly", "Only each subject's latest version")
    return {
        "/schemas/types": {
            "get": operation("schema_types", "Schema types supported", ok(strings), ())
        },
        "/schemas": {
            "get": operation(
                "list_schemas",
                "Every registered schema",
                ok(registered),
                (),
                [PREFIX, DELETED, latest_only],
            )
        },
        "/schemas/ids/{id}": {
            "get": operation(
                "get_schema_by_id",
                "A schema by id",
                ok({"$ref": REF + "Schema"}),
                (404,),
                [ID_PARAM, hint],
            )
        },
        "/schemas/ids/{id}/schema": {
            "get": operation(
                "get_schema_text_by_id", "The schema text itself", ok({}), (404,), [ID_PARAM]
            )
        },
        "/schemas/ids/{id}/subjects": {
            "get": operation(
                "get_subjects_of_id",
                "Subjects using the id",
                ok(strings),
                (404,),
                [ID_PARAM, DELETED],
            )
        },
        "/schemas/ids/{id}/versions": {
            "get": operation(
                "get_versions_of_id",
                "Subject-versions using the id",
                ok(pairs),
                (404,),
                [ID_PARAM, DELETED],
            )
        },
    }


def _subjects_paths() -> dict[str, Any]:
    versions = {"type": "array", "items": {"type": "integer", "minimum": 1}}
    registered = ok({"$ref": REF + "RegisteredSchema"})
    register_ok = ok(
        {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "integer", "minimum": 1}},
            "additionalProperties": False,
        },
        "The id of the schema: a new one, or the one the subject already has",
    )
    register_ok["links"] = {
        "GetSchemaById": {
            "operationId": "get_schema_by_id",
            "parameters": {"id": "$response.body#/id"},
        },
        "GetVersions": {
            "operationId": "list_versions",
            "parameters": {"subject": "$request.path.subject"},
        },
        "DeleteSubject": {
            "operationId": "delete_subject",
            "parameters": {"subject": "$request.path.subject"},
        },
    }
    version_path = [SUBJECT, VERSION]
    return {
        "/subjects": {
            "get": operation(
                "list_subjects",
                "Subjects, sorted",
                ok({"type": "array", "items": {"type": "string"}}),
                (),
                [PREFIX, DELETED],
            )
        },
        "/subjects/{subject}": {
            "post": operation(
                "lookup_schema",
                "The version of the subject that has this schema",
                registered,
                (404, 422),
                [SUBJECT, DELETED],
                body="SchemaRequest",
            ),
            "delete": operation(
                "delete_subject",
                "Soft-delete every version (or hard-delete, after a soft delete)",
                ok(versions, "The versions deleted"),
                (404, 422),
                [SUBJECT, PERMANENT],
            ),
        },
        "/subjects/{subject}/versions": {
            "get": operation(
                "list_versions",
                "The subject's versions",
                ok(versions),
                (404, 422),
                [SUBJECT, DELETED],
            ),
            "post": operation(
                "register_schema",
                "Register a schema under the subject (idempotent)",
                register_ok,
                (409, 422),
                [SUBJECT],
                body="SchemaRequest",
            ),
        },
        "/subjects/{subject}/versions/{version}": {
            "get": operation(
                "get_version", "One version", registered, (404, 422), [*version_path, DELETED]
            ),
            "delete": operation(
                "delete_version",
                "Soft-delete a version (or hard-delete, after a soft delete)",
                ok({"type": "integer", "minimum": 1}, "The version deleted"),
                (404, 422),
                [*version_path, PERMANENT],
            ),
        },
        "/subjects/{subject}/versions/{version}/schema": {
            "get": operation(
                "get_version_schema",
                "One version's schema text",
                ok({}),
                (404, 422),
                [*version_path, DELETED],
            )
        },
        "/subjects/{subject}/versions/{version}/referencedby": {
            "get": operation(
                "get_referenced_by",
                "Ids of schemas that reference this version",
                ok({"type": "array", "items": {"type": "integer"}}),
                (404, 422),
                version_path,
            )
        },
    }


def _compatibility_paths() -> dict[str, Any]:
    verdict = ok(
        {
            "type": "object",
            "required": ["is_compatible"],
            "properties": {
                "is_compatible": {"type": "boolean"},
                "messages": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": False,
        }
    )
    verbose = flag("verbose", "Add `messages`, the reasons")
    return {
        "/compatibility/subjects/{subject}/versions/{version}": {
            "post": operation(
                "check_against_version",
                "Could this schema follow that version (latest of a missing subject: yes)",
                verdict,
                (404, 422),
                [SUBJECT, VERSION, verbose],
                body="SchemaRequest",
            )
        },
        "/compatibility/subjects/{subject}/versions": {
            "post": operation(
                "check_against_all",
                "Could this schema follow every live version",
                verdict,
                (422,),
                [SUBJECT, verbose],
                body="SchemaRequest",
            )
        },
    }


def _setting_paths(noun: str, key: str, put_key: str, body: str, default: str) -> dict[str, Any]:
    """GET/PUT/DELETE of the global and per-subject level (`config`) or mode (`mode`)."""
    values = [v.value for v in (CompatibilityLevel if noun == "config" else Mode)]
    read = ok(
        {
            "type": "object",
            "required": [key],
            "properties": {key: {"type": "string", "enum": values}},
            "additionalProperties": False,
        }
    )
    written = ok(
        {
            "type": "object",
            "required": [put_key],
            "properties": {put_key: {"type": "string", "enum": values}},
            "additionalProperties": False,
        }
    )
    to_global = flag("defaultToGlobal", "Answer the global value when the subject has none")
    subject_missing = 40408 if noun == "config" else 40409
    paths: dict[str, Any] = {
        f"/{noun}": {
            "get": operation(f"get_global_{noun}", f"The global {default}", read, ()),
            "put": operation(
                f"set_global_{noun}", f"Set the global {default}", written, (422,), [], body=body
            ),
        },
        f"/{noun}/{{subject}}": {
            "get": operation(
                f"get_subject_{noun}",
                f"The subject's own {default} (404 {subject_missing} if it has none)",
                read,
                (404, 422),
                [SUBJECT, to_global],
            ),
            "put": operation(
                f"set_subject_{noun}",
                f"Set the subject's {default}",
                written,
                (422,),
                [SUBJECT],
                body=body,
            ),
            "delete": operation(
                f"delete_subject_{noun}",
                f"Remove the subject's {default}; answers the removed one",
                read,
                (404, 422),
                [SUBJECT],
            ),
        },
    }
    if noun == "config":
        paths["/config"]["delete"] = operation(
            "delete_global_config", "Reset the global level; answers the removed one", read, (422,)
        )
    return paths


def _misc_paths() -> dict[str, Any]:
    anything = {"type": "object"}
    health = {
        "type": "object",
        "required": ["status", "store_lag", "detail"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "store_lag": {"type": "integer", "nullable": True},
            "detail": {"type": "string", "nullable": True},
        },
    }
    return {
        "/": {
            "get": operation(
                "root", "An empty object", ok({"type": "object", "maxProperties": 0}), ()
            )
        },
        "/contexts": {
            "get": operation(
                "contexts",
                "The one context",
                ok({"type": "array", "items": {"type": "string", "enum": ["."]}}),
                (),
            )
        },
        "/v1/metadata/id": {"get": operation("metadata_id", "Cluster id", ok(anything), ())},
        "/v1/metadata/version": {"get": operation("metadata_version", "Version", ok(anything), ())},
        "/associations/resources/{namespace}/{name}": {
            "get": operation(
                "associations",
                "No associations (confluent-kafka-python probes this)",
                ok({"type": "array", "maxItems": 0}),
                (),
                [
                    {
                        "name": "namespace",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1},
                    },
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1},
                    },
                ],
            )
        },
        "/leader": {
            "get": operation(
                "leader",
                "The instance that performs writes (others forward them to it)",
                ok(
                    {
                        "type": "object",
                        "required": ["leader", "is_self", "eligible"],
                        "properties": {
                            "leader": {"type": "string", "nullable": True},
                            "is_self": {"type": "boolean"},
                            "eligible": {"type": "boolean"},
                        },
                        "additionalProperties": False,
                    }
                ),
                (),
                [flag("refresh", "Ask Kafka again instead of answering the last known leader")],
            )
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Whether the store has read the topic, and how far behind it is",
                "responses": {
                    "200": {
                        "description": "Ready",
                        "content": {"application/vnd.schemaregistry.v1+json": {"schema": health}},
                    },
                    "503": {
                        "description": "Not ready",
                        "content": {"application/vnd.schemaregistry.v1+json": {"schema": health}},
                    },
                },
            }
        },
        "/openapi.json": {"get": operation("openapi_document", "This document", ok(anything), ())},
    }


def build_document(*, credentials: bool) -> dict[str, Any]:
    """The document; `credentials`: writes need HTTP Basic credentials."""
    paths = {
        **_schemas_paths(),
        **_subjects_paths(),
        **_compatibility_paths(),
        **_setting_paths(
            "config", "compatibilityLevel", "compatibility", "ConfigRequest", "compatibility level"
        ),
        **_setting_paths("mode", "mode", "mode", "ModeRequest", "mode"),
        **_misc_paths(),
    }
    if credentials:
        require_credentials(paths)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ugc schema registry",
            "version": "7.6.0-ugc",
            "description": "The Confluent Schema Registry REST API (7.x) for Avro; state in Kafka",
        },
        "paths": paths,
        "components": components(credentials),
    }


def blueprint(*, credentials: bool) -> Blueprint:
    routes = Blueprint("openapi", __name__)
    document = build_document(credentials=credentials)

    @routes.get("/openapi.json")
    def openapi() -> Response:
        return answer(document)

    return routes
