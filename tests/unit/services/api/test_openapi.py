from __future__ import annotations

from flask.testing import FlaskClient

from contracts.loading import Contract
from services.api.errors import HTTP_ANSWERS

ENDPOINTS = [
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
    # The generic route's body depends on its path: one operation per type stands for it.
    assert "/api/v1/events/{event_type}" not in document["paths"]


def test_occurred_at_is_documented_as_rfc3339_text_or_epoch_milliseconds(
    client: FlaskClient,
) -> None:
    document = client.get("/api/openapi.json").json
    assert document is not None
    text, number = document["components"]["schemas"]["film_rating"]["properties"]["occurred_at"][
        "anyOf"
    ]
    assert (text["type"], text["format"]) == ("string", "date-time")
    assert number["type"] == "integer" and "milliseconds since 1970" in number["description"]
    assert (number["minimum"], number["maximum"]) == (-62135596800000, 253402300799999)


def test_batch_item_is_a_union_discriminated_by_type(
    client: FlaskClient, contracts: list[Contract]
) -> None:
    document = client.get("/api/openapi.json").json
    assert document is not None
    schemas = document["components"]["schemas"]
    union = schemas["Batch"]["items"]
    assert union["discriminator"]["propertyName"] == "type"
    mapping = union["discriminator"]["mapping"]
    assert set(mapping) == {c.event_type for c in contracts}
    for name, ref in mapping.items():
        item = schemas[ref.rpartition("/")[2]]
        assert item["properties"]["type"]["enum"] == [name]
        assert item["properties"]["event"] == {"$ref": f"#/components/schemas/{name}"}
    assert (schemas["Batch"]["minItems"], schemas["Batch"]["maxItems"]) == (1, 500)


def test_every_error_status_has_its_codes_and_headers(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    assert document is not None
    schemas = document["components"]["schemas"]
    for status, code in {cls_status for cls_status in HTTP_ANSWERS.values()}:
        assert code in schemas[f"Error{status}"]["properties"]["error"]["enum"]
    assert "errors" in schemas["Error422"]["required"]
    operation = document["paths"]["/api/v1/events/film_rating"]["post"]
    responses = operation["responses"]
    assert set(responses) == {"202", "400", "401", "404", "413", "415", "422", "429", "500", "503"}
    assert responses["503"]["headers"]["Retry-After"]["required"] is True
    assert responses["429"]["headers"]["Retry-After"]["required"] is True
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert operation["security"] == [{"bearer": []}]
    assert [p["name"] for p in operation["parameters"]] == ["Idempotency-Key"]


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
