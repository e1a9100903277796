from __future__ import annotations

from flask.testing import FlaskClient

from contracts.loading import Contract

ENDPOINTS = [
    "/api/v1/events/{event_type}",
    "/api/v1/events",
    "/api/v1/event-types",
    "/healthz",
    "/readyz",
    "/metrics",
]


def test_openapi_document_has_every_endpoint_and_a_schema_per_event_type(
    client: FlaskClient, contracts: list[Contract]
) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document is not None and document["openapi"].startswith("3.")
    assert set(ENDPOINTS) <= set(document["paths"])
    schemas = document["components"]["schemas"]
    for contract in contracts:
        assert f"/api/v1/events/{contract.event_type}" in document["paths"]
        properties = schemas[contract.event_type]["properties"]
        assert properties["user_id"]["readOnly"] is True
        assert properties["context"]["type"] == "object"  # nested records written inline


def test_swagger_ui_is_served_without_a_cdn(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"/api/openapi.json" in page.data
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js"):
        response = client.get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200
        response.close()


def test_event_types_list_versions_and_examples(
    client: FlaskClient, contracts: list[Contract]
) -> None:
    body = client.get("/api/v1/event-types").json
    assert body is not None
    listed = {item["event_type"]: item for item in body["event_types"]}
    for contract in contracts:
        assert listed[contract.event_type]["version"] == 1
        assert listed[contract.event_type]["example"] == contract.example


def test_metrics_are_in_prometheus_text_format(client: FlaskClient, auth: dict[str, str]) -> None:
    client.post("/api/v1/events/nope", json={}, headers=auth)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert b'ugc_api_errors_total{error="unknown_event_type"} 1.0' in response.data
