"""The registry's HTTP API over the in-memory store: every endpoint, status and error code
of the Confluent 7.x dialect, content negotiation and path handling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from pydantic import SecretStr

from registry.server.app import create_app
from registry.server.settings import RegistrySettings
from registry.server.store import MemoryStore

V1 = "application/vnd.schemaregistry.v1+json"


def record(name: str, *fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields)})


A = {"name": "a", "type": "string"}
B_OPT = {"name": "b", "type": ["null", "int"], "default": None}
B_REQ = {"name": "b", "type": "int"}


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def client(store: MemoryStore) -> Iterator[FlaskClient]:
    app = create_app(RegistrySettings(), store=store)
    with app.test_client() as test_client:
        yield test_client


def post(client: FlaskClient, path: str, body: object, **kw: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type=V1, **kw)


def register(client: FlaskClient, subject: str, schema: str) -> int:
    response = post(client, f"/subjects/{subject}/versions", {"schema": schema})
    assert response.status_code == 200, response.json
    return int(response.json["id"])


def error_of(response: Any) -> tuple[int, int]:
    assert response.is_json or response.content_type.endswith("json")
    return response.status_code, response.json["error_code"]


# --- registration, ids and versions -----------------------------------------------


def test_register_answers_id_only_and_same_schema_elsewhere_shares_the_id(
    client: FlaskClient,
) -> None:
    first = post(client, "/subjects/s1/versions", {"schema": record("R", A)})
    assert first.json == {"id": 1}
    assert register(client, "s2", record("R", A)) == 1
    assert client.get("/subjects/s2/versions").json == [1]
    assert client.get("/schemas/ids/1/subjects").json == ["s1", "s2"]
    assert client.get("/schemas/ids/1/versions").json == [
        {"subject": "s1", "version": 1},
        {"subject": "s2", "version": 1},
    ]


def test_identity_ignores_whitespace_and_returns_canonical_text(client: FlaskClient) -> None:
    spaced = (
        '{ "type" : "record", "name": "R",\n "fields": [ {"name":"a","type":{"type":"string"}} ] }'
    )
    schema_id = register(client, "s", spaced)
    assert register(client, "s", record("R", A)) == schema_id
    assert client.get("/subjects/s/versions").json == [1]
    text = client.get(f"/schemas/ids/{schema_id}").json["schema"]
    assert " " not in text and json.loads(text)["fields"][0]["type"] == "string"


def test_doc_and_defaults_count_for_identity(client: FlaskClient) -> None:
    plain = register(client, "s", record("R", A))
    documented = json.dumps({"type": "record", "name": "R", "doc": "d", "fields": [A]})
    assert register(client, "s", documented) != plain


def test_reregistering_an_older_version_creates_no_new_version(client: FlaskClient) -> None:
    first = register(client, "s", record("R", A))
    register(client, "s", record("R", A, B_OPT))
    assert register(client, "s", record("R", A)) == first
    assert client.get("/subjects/s/versions").json == [1, 2]


def test_get_version_latest_and_minus_one_and_schema_text(client: FlaskClient) -> None:
    register(client, "s", record("R", A))
    second = register(client, "s", record("R", A, B_OPT))
    for spec in ("latest", "-1", "2"):
        body = client.get(f"/subjects/s/versions/{spec}").json
        assert body["version"] == 2 and body["id"] == second and body["subject"] == "s"
        assert "schemaType" not in body
    raw = client.get("/subjects/s/versions/1/schema")
    assert json.loads(raw.data)["name"] == "R"


@pytest.mark.parametrize("version", ["0", "abc", "2147483648", "-2", "1.5"])
def test_bad_version_is_42202(client: FlaskClient, version: str) -> None:
    register(client, "s", record("R", A))
    assert error_of(client.get(f"/subjects/s/versions/{version}")) == (422, 42202)


def test_lookup_finds_version_or_answers_40401_40403(client: FlaskClient) -> None:
    register(client, "s", record("R", A))
    found = post(client, "/subjects/s", {"schema": record("R", A)})
    assert found.status_code == 200 and found.json["version"] == 1
    assert error_of(post(client, "/subjects/s", {"schema": record("Q", A)})) == (404, 40403)
    assert error_of(post(client, "/subjects/nope", {"schema": record("R", A)})) == (404, 40401)


def test_missing_things_answer_their_404_codes(client: FlaskClient) -> None:
    assert error_of(client.get("/schemas/ids/77")) == (404, 40403)
    assert error_of(client.get("/subjects/none/versions")) == (404, 40401)
    register(client, "s", record("R", A))
    assert error_of(client.get("/subjects/s/versions/9")) == (404, 40402)


@pytest.mark.parametrize(
    "body",
    [
        {"schema": ""},
        {"schema": "{not json"},
        {"schema": '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "nope"}]}'},
        {"schema": record("R", {"name": "a", "type": "int", "default": "x"})},
        {"schema": record("R", A), "schemaType": "XML"},
        {"schema": 42},
        {},
        {"schema": "[" * 600 + '"int"' + "]" * 600},
        {"schema": '{"type":"array","items":' * 600 + '"int"' + "}" * 600},
    ],
    ids=lambda body: str(body)[:40],
)
def test_invalid_schemas_are_42201(client: FlaskClient, body: dict[str, Any]) -> None:
    assert error_of(post(client, "/subjects/s/versions", body)) == (422, 42201)


def test_malformed_json_body_is_a_json_400(client: FlaskClient) -> None:
    response = client.post("/subjects/s/versions", data="{oops", content_type=V1)
    assert error_of(response) == (400, 400)


def test_unknown_body_fields_are_ignored(client: FlaskClient) -> None:
    assert post(client, "/subjects/s/versions", {"schema": record("R", A), "x": 1}).json == {
        "id": 1
    }


# --- compatibility ----------------------------------------------------------------


def test_incompatible_registration_is_409_with_details(client: FlaskClient) -> None:
    register(client, "s", record("R", A))
    response = post(client, "/subjects/s/versions", {"schema": record("R", A, B_REQ)})
    assert error_of(response) == (409, 409)
    assert "b" in response.json["message"]


def test_compatibility_endpoints_answer_verdict_and_verbose_messages(client: FlaskClient) -> None:
    register(client, "s", record("R", A))
    ok = post(
        client, "/compatibility/subjects/s/versions/latest", {"schema": record("R", A, B_OPT)}
    )
    assert ok.json == {"is_compatible": True}
    bad = post(
        client,
        "/compatibility/subjects/s/versions?verbose=TRUE",
        {"schema": record("R", A, B_REQ)},
    )
    assert bad.json["is_compatible"] is False and bad.json["messages"]
    missing = post(
        client, "/compatibility/subjects/new/versions/latest", {"schema": record("R", A)}
    )
    assert missing.json == {"is_compatible": True}
    numbered = post(client, "/compatibility/subjects/s/versions/5", {"schema": record("R", A)})
    assert error_of(numbered) == (404, 40402)


def test_transitive_level_checks_every_live_version(client: FlaskClient) -> None:
    client.put(
        "/config/s", data=json.dumps({"compatibility": "backward_transitive"}), content_type=V1
    )
    register(client, "s", record("R", A, B_REQ))
    register(client, "s", record("R", A, {"name": "b", "type": ["null", "int"], "default": None}))
    # v3 drops b's default: v2 data is fine (has b), v1 data is fine too; then make it string
    changed = record("R", A, {"name": "b", "type": "string"})
    assert error_of(post(client, "/subjects/s/versions", {"schema": changed})) == (409, 409)


# --- config and mode --------------------------------------------------------------


def test_config_global_and_subject_levels(client: FlaskClient) -> None:
    assert client.get("/config").json == {"compatibilityLevel": "BACKWARD"}
    put = client.put("/config", data=json.dumps({"compatibility": "full"}), content_type=V1)
    assert put.json == {"compatibility": "FULL"}
    assert client.get("/config/").json == {"compatibilityLevel": "FULL"}
    assert error_of(client.get("/config/s")) == (404, 40408)
    assert client.get("/config/s?defaultToGlobal=true").json == {"compatibilityLevel": "FULL"}
    client.put("/config/s", data=json.dumps({"compatibility": "NONE"}), content_type=V1)
    assert client.get("/config/s").json == {"compatibilityLevel": "NONE"}
    assert client.delete("/config/s").json == {"compatibilityLevel": "NONE"}
    assert client.delete("/config").json == {"compatibilityLevel": "FULL"}
    assert client.get("/config").json == {"compatibilityLevel": "BACKWARD"}


@pytest.mark.parametrize("body", [{"compatibility": "SIDEWAYS"}, {"compatibility": 3}, {}])
def test_bad_level_is_42203(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.put("/config", data=json.dumps(body), content_type=V1)
    assert error_of(response) == (422, 42203)


def test_modes_and_readonly_blocks_writes(client: FlaskClient) -> None:
    assert client.get("/mode").json == {"mode": "READWRITE"}
    assert error_of(client.get("/mode/s")) == (404, 40409)
    put = client.put("/mode/s", data=json.dumps({"mode": "readonly"}), content_type=V1)
    assert put.json == {"mode": "READONLY"}
    assert error_of(post(client, "/subjects/s/versions", {"schema": record("R", A)})) == (
        422,
        42205,
    )
    assert client.delete("/mode/s").json == {"mode": "READONLY"}
    assert register(client, "s", record("R", A)) == 1
    bad = client.put("/mode", data=json.dumps({"mode": "SOMETIMES"}), content_type=V1)
    assert error_of(bad) == (422, 42204)


def test_id_in_body_needs_import_mode(client: FlaskClient) -> None:
    body = {"schema": record("R", A), "id": 40}
    assert error_of(post(client, "/subjects/s/versions", body)) == (422, 42205)
    client.put("/mode", data=json.dumps({"mode": "IMPORT"}), content_type=V1)
    assert post(client, "/subjects/s/versions", body).json == {"id": 40}
    client.put("/mode", data=json.dumps({"mode": "READWRITE"}), content_type=V1)
    assert register(client, "t", record("Q", A)) == 41


# --- deletes ----------------------------------------------------------------------


def test_two_step_version_delete_and_its_codes(client: FlaskClient) -> None:
    register(client, "s", record("R", A))
    second = register(client, "s", record("R", A, B_OPT))
    assert error_of(client.delete("/subjects/s/versions/2?permanent=true")) == (404, 40407)
    assert client.delete("/subjects/s/versions/2").json == 2
    assert error_of(client.delete("/subjects/s/versions/2")) == (404, 40406)
    assert client.get("/subjects/s/versions").json == [1]
    assert client.get("/subjects/s/versions?deleted=true").json == [1, 2]
    assert client.get(f"/schemas/ids/{second}").status_code == 200
    assert register(client, "s", record("R", A, B_OPT)) == second
    assert client.get("/subjects/s/versions").json == [1, 3]


def test_two_step_subject_delete_restarts_versions_after_permanent(client: FlaskClient) -> None:
    register(client, "s", record("R", A))
    assert error_of(client.delete("/subjects/s?permanent=true")) == (404, 40405)
    assert client.delete("/subjects/s").json == [1]
    assert error_of(client.delete("/subjects/s")) == (404, 40404)
    assert client.get("/subjects").json == []
    assert client.get("/subjects?deleted=true").json == ["s"]
    assert client.delete("/subjects/s?permanent=true").json == [1]
    assert error_of(client.delete("/subjects/s")) == (404, 40401)
    register(client, "s", record("R2", A))
    assert client.get("/subjects/s/versions").json == [1]


def test_referenced_version_cannot_be_deleted(client: FlaskClient) -> None:
    register(client, "ctx", record("Ctx", A))
    user = {
        "schema": record("E", {"name": "c", "type": "Ctx"}),
        "references": [{"name": "Ctx", "subject": "ctx", "version": 1}],
    }
    used_by = post(client, "/subjects/e/versions", user).json["id"]
    assert client.get("/subjects/ctx/versions/1/referencedby").json == [used_by]
    assert error_of(client.delete("/subjects/ctx/versions/1")) == (422, 42206)
    by_id = client.get(f"/schemas/ids/{used_by}").json
    assert by_id["references"] == [{"name": "Ctx", "subject": "ctx", "version": 1}]


def test_reference_to_missing_subject_is_42201(client: FlaskClient) -> None:
    user = {
        "schema": record("E", {"name": "c", "type": "Ctx"}),
        "references": [{"name": "Ctx", "subject": "nope", "version": 1}],
    }
    assert error_of(post(client, "/subjects/e/versions", user)) == (422, 42201)


# --- transport --------------------------------------------------------------------


def test_percent_encoded_subject_and_trailing_slash(client: FlaskClient) -> None:
    register(client, "ns%2Ftopic-value", record("R", A))
    assert client.get("/subjects").json == ["ns/topic-value"]
    assert client.get("/subjects/ns%2Ftopic-value/versions/").json == [1]


def test_control_characters_in_subject_are_42208(client: FlaskClient) -> None:
    response = post(client, "/subjects/bad%01name/versions", {"schema": record("R", A)})
    assert error_of(response) == (422, 42208)


@pytest.mark.parametrize(
    "content_type",
    ["application/vnd.schemaregistry+json", "application/json", "application/octet-stream", None],
)
def test_accepted_body_types(client: FlaskClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(
        "/subjects/s/versions", data=json.dumps({"schema": record("R", A)}), headers=headers
    )
    assert response.status_code == 200


def test_other_body_type_is_415_and_bad_accept_is_406(client: FlaskClient) -> None:
    response = client.post("/subjects/s/versions", data="x", content_type="text/plain")
    assert error_of(response) == (415, 415)
    refused = client.get("/subjects", headers={"Accept": "text/html"})
    assert error_of(refused) == (406, 406)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, V1),
        ("*/*", V1),
        ("application/json", "application/json"),
        ("application/vnd.schemaregistry+json", "application/vnd.schemaregistry+json"),
    ],
)
def test_response_type_follows_accept(
    client: FlaskClient, accept: str | None, expected: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    assert client.get("/subjects", headers=headers).content_type == expected


def test_get_with_a_content_type_is_fine(client: FlaskClient) -> None:
    assert client.get("/subjects", headers={"Content-Type": V1}).status_code == 200


def test_framework_errors_are_json(client: FlaskClient) -> None:
    assert error_of(client.get("/nowhere")) == (404, 404)
    assert error_of(client.patch("/subjects")) == (405, 405)


def test_misc_endpoints(client: FlaskClient) -> None:
    assert client.get("/").json == {}
    assert client.get("/contexts").json == ["."]
    assert client.get("/schemas/types").json == ["AVRO"]
    assert client.get("/associations/resources/topic/ugc.click").json == []
    assert client.get("/v1/metadata/version").json["version"]
    assert "scope" in client.get("/v1/metadata/id").json
    assert client.get("/healthz").json["status"] == "ok"


def test_schemas_listing_with_prefix_and_latest_only(client: FlaskClient) -> None:
    register(client, "a-value", record("R", A))
    register(client, "a-value", record("R", A, B_OPT))
    register(client, "b-value", record("Q", A))
    every = client.get("/schemas").json
    assert [(s["subject"], s["version"]) for s in every] == [
        ("a-value", 1),
        ("a-value", 2),
        ("b-value", 1),
    ]
    latest = client.get("/schemas?subjectPrefix=a&latestOnly=true").json
    assert [(s["subject"], s["version"]) for s in latest] == [("a-value", 2)]


def test_writes_need_basic_auth_when_configured_and_reads_stay_open(store: MemoryStore) -> None:
    settings = RegistrySettings(registry_auth_user="ci", registry_auth_password=SecretStr("pw"))
    with create_app(settings, store=store).test_client() as client:
        denied = post(client, "/subjects/s/versions", {"schema": record("R", A)})
        assert error_of(denied) == (401, 401)
        assert denied.headers["WWW-Authenticate"].startswith("Basic")
        allowed = post(
            client,
            "/subjects/s/versions",
            {"schema": record("R", A)},
            headers={"Authorization": "Basic Y2k6cHc="},
        )
        assert allowed.status_code == 200
        assert client.get("/schemas/ids/1").status_code == 200


def test_every_concrete_domain_error_class_names_its_own_code() -> None:
    from registry.server import errors

    def walk(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    abstract = {errors.NotFoundError, errors.UnprocessableError}
    inherited = [c for c in walk(errors.RegistryServerError) if "code" not in vars(c)]
    assert [c for c in inherited if c not in abstract | {errors.NotLeaderError}] == []
    assert errors.NotLeaderError.code is errors.LeaderUnknownError.code
