"""The registry's OpenAPI document covers every route the app serves, with the error codes
of each status and the credentials writes need; and the request shapes schemathesis found
the registry reading too leniently are refused."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from pydantic import SecretStr

from registry.client.errors import ErrorCode
from registry.server.app import create_app
from registry.server.openapi import build_document
from registry.server.settings import RegistrySettings
from registry.server.store import MemoryStore

V1 = "application/vnd.schemaregistry.v1+json"
SCHEMA = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})


def _app(**settings: Any) -> Flask:
    return create_app(RegistrySettings(**settings), store=MemoryStore())


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule.replace("<path:_rest>", "{}/{}")
        path = re.sub(r"<[^>]+>", "{}", path)
        found |= {(path, m.lower()) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    return found


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (re.sub(r"{[^}]+}", "{}", path), method)
        for path, operations in document["paths"].items()
        for method in operations
    }


def test_the_document_has_every_route_of_the_app_and_nothing_else() -> None:
    app = _app()
    document = app.test_client().get("/openapi.json").json
    assert document is not None and document["openapi"].startswith("3.0")
    assert _documented(document) == _routes(app)


def test_every_status_lists_its_error_codes_and_the_bare_status() -> None:
    schemas = build_document(credentials=False)["components"]["schemas"]
    for code in ErrorCode:
        assert code.value in schemas[f"Error{code.status}"]["properties"]["error_code"]["enum"]
    assert 404 in schemas["Error404"]["properties"]["error_code"]["enum"]  # unknown paths


@pytest.mark.parametrize("credentials", [False, True])
def test_writes_need_basic_credentials_exactly_when_the_registry_is_configured_so(
    credentials: bool,
) -> None:
    document = build_document(credentials=credentials)
    for operations in document["paths"].values():
        for method, operation in operations.items():
            guarded = credentials and method in ("post", "put", "delete")
            assert ("security" in operation) is guarded
            assert ("401" in operation["responses"]) is guarded


def test_the_register_operation_links_to_its_reads_and_its_delete() -> None:
    document = build_document(credentials=False)
    register = document["paths"]["/subjects/{subject}/versions"]["post"]
    links = register["responses"]["200"]["links"]
    operation_ids = {
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
    }
    assert {link["operationId"] for link in links.values()} <= operation_ids
    assert links["GetSchemaById"]["parameters"] == {"id": "$response.body#/id"}


@pytest.mark.parametrize(
    "extra",
    [{"schemaType": {}}, {"schemaType": ""}, {"id": True}, {"id": 2**31}, {"id": 0}],
    ids=["type object", "type empty", "id true", "id past int32", "id zero"],
)
def test_regression_a_schema_request_with_a_malformed_member_is_42201(
    extra: dict[str, Any],
) -> None:
    client = _app().test_client()
    for path in ("/subjects/s/versions", "/subjects/s", "/compatibility/subjects/s/versions"):
        response = client.post(path, data=json.dumps({"schema": SCHEMA, **extra}), content_type=V1)
        assert response.status_code == 422, (path, response.json)
        assert response.json is not None and response.json["error_code"] == 42201


def test_regression_a_reference_version_past_int32_is_42201() -> None:
    reference = {"name": "x", "subject": "s", "version": 2**31}
    client = _app().test_client()
    body = {"schema": SCHEMA, "references": [reference]}
    response = client.post("/subjects/t/versions", data=json.dumps(body), content_type=V1)
    assert response.status_code == 422 and response.json is not None
    assert response.json["error_code"] == 42201


def test_config_reads_compatibility_level_only_without_compatibility() -> None:
    client = _app(registry_auth_user=None, registry_auth_password=SecretStr("x")).test_client()
    body = {"compatibility": "FULL", "compatibilityLevel": "nonsense"}
    response = client.put("/config", data=json.dumps(body), content_type=V1)
    assert response.status_code == 200 and response.json == {"compatibility": "FULL"}
