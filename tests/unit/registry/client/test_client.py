"""RegistryClient's side of the HTTP conversation, against httpx.MockTransport."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable

import httpx
import pytest

from registry.client.client import MEDIA_TYPE, RegistryClient
from registry.client.errors import (
    IncompatibleSchemaError,
    RegistryError,
    RegistryUnavailableError,
    SubjectNotFoundError,
)
from registry.client.models import (
    CompatibilityLevel,
    SchemaId,
    SchemaReference,
    Subject,
    Version,
)

Handler = Callable[[httpx.Request], httpx.Response]
SCHEMA = '{"type":"record","name":"R","fields":[{"name":"id","type":"string"}]}'


class Recorder:
    """A MockTransport handler that answers from a script and keeps every request."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.requests: list[httpx.Request] = []
        self._answers = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._answers.pop(0)


def _client(
    handler: Handler,
    url: str = "http://registry:8081",
    *,
    username: str | None = None,
    password: str | None = None,
) -> RegistryClient:
    transport = httpx.MockTransport(handler)
    return RegistryClient(url, username=username, password=password, transport=transport)


def _json(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def test_subjects_are_percent_encoded_as_one_path_segment() -> None:
    recorder = Recorder(_json({"id": 3}))
    _client(recorder).register(Subject("ns/orders value?x#y-value"), SCHEMA)
    request = recorder.requests[0]
    assert request.url.raw_path == b"/subjects/ns%2Forders%20value%3Fx%23y-value/versions"


def test_register_posts_the_schema_with_the_registry_media_type() -> None:
    recorder = Recorder(_json({"id": 3}))
    reference = SchemaReference("ugc.Context", Subject("ctx"), Version(2))
    schema_id = _client(recorder).register(
        Subject("s"), SCHEMA, references=[reference], normalize=True
    )
    request = recorder.requests[0]
    assert schema_id == 3
    assert request.method == "POST"
    assert request.headers["content-type"] == MEDIA_TYPE
    assert request.url.params["normalize"] == "true"
    assert json.loads(request.content) == {
        "schema": SCHEMA,
        "references": [{"name": "ugc.Context", "subject": "ctx", "version": 2}],
    }


def test_basic_auth_header_is_sent_and_the_password_is_not_printable() -> None:
    recorder = Recorder(_json(["a"]))
    client = _client(recorder, username="svc", password="s3cret")
    client.list_subjects()
    expected = base64.b64encode(b"svc:s3cret").decode()
    assert recorder.requests[0].headers["authorization"] == f"Basic {expected}"
    assert "s3cret" not in repr(client)
    assert "s3cret" not in str(vars(client))


def test_credentials_in_the_url_are_used_and_stripped_from_it() -> None:
    recorder = Recorder(_json(["a"]))
    client = _client(recorder, url="http://svc:s3cret@registry:8081/")
    client.list_subjects()
    assert client.url == "http://registry:8081"
    assert recorder.requests[0].headers["authorization"].startswith("Basic ")


def test_not_found_body_becomes_subject_not_found() -> None:
    body = {"error_code": 40401, "message": "Subject 'x' not found."}
    client = _client(Recorder(_json(body, 404)))
    with pytest.raises(SubjectNotFoundError) as caught:
        client.get_latest(Subject("x"))
    assert (caught.value.status, caught.value.error_code) == (404, 40401)


def test_incompatible_registration_raises_incompatible_schema() -> None:
    client = _client(Recorder(_json({"error_code": 409, "message": "incompatible"}, 409)))
    with pytest.raises(IncompatibleSchemaError):
        client.register(Subject("s"), SCHEMA)


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x")],
)
def test_transport_failures_become_retriable_unavailability(exc: httpx.TransportError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(RegistryUnavailableError) as caught:
        _client(handler).get_schema(SchemaId(1))
    assert caught.value.retriable
    assert caught.value.__cause__ is exc


def test_an_answer_of_the_wrong_shape_is_a_registry_error() -> None:
    with pytest.raises(RegistryError, match="unexpected answer"):
        _client(Recorder(_json({"nope": 1}))).register(Subject("s"), SCHEMA)
    with pytest.raises(RegistryError, match="non-JSON"):
        _client(Recorder(httpx.Response(200, text="<html>"))).list_subjects()


def test_schema_text_by_id_is_fetched_once() -> None:
    recorder = Recorder(_json({"schema": SCHEMA}))
    client = _client(recorder)
    assert client.get_schema(SchemaId(7)) == client.get_schema(SchemaId(7)) == SCHEMA
    assert len(recorder.requests) == 1
    assert recorder.requests[0].url.path == "/schemas/ids/7"


def test_register_and_lookup_remember_the_id_of_a_subjects_schema() -> None:
    registered = {"subject": "s", "version": 1, "id": 4, "schema": SCHEMA}
    recorder = Recorder(_json(registered))
    client = _client(recorder)
    assert client.lookup(Subject("s"), SCHEMA).id == 4
    assert client.register(Subject("s"), SCHEMA) == 4
    assert len(recorder.requests) == 1


def test_subject_compatibility_asks_for_the_global_default() -> None:
    recorder = Recorder(_json({"compatibilityLevel": "FULL"}), _json({"compatibility": "NONE"}))
    client = _client(recorder)
    assert client.get_compatibility(Subject("s")) is CompatibilityLevel.FULL
    assert (
        client.set_compatibility(CompatibilityLevel.NONE, Subject("s")) is CompatibilityLevel.NONE
    )
    get, put = recorder.requests
    assert (get.url.path, get.url.params["defaultToGlobal"]) == ("/config/s", "true")
    assert json.loads(put.content) == {"compatibility": "NONE"}


@pytest.mark.parametrize(
    ("version", "path"),
    [
        ("latest", "/compatibility/subjects/s/versions/latest"),
        (None, "/compatibility/subjects/s/versions"),
    ],
)
def test_compatibility_check_is_verbose_and_returns_messages(
    version: Version | None, path: str
) -> None:
    answer = {"is_compatible": False, "messages": ["reader field missing default"]}
    recorder = Recorder(_json(answer))
    result = _client(recorder).test_compatibility(Subject("s"), SCHEMA, version)
    assert (result.is_compatible, result.messages) == (False, ["reader field missing default"])
    assert (recorder.requests[0].url.path, recorder.requests[0].url.params["verbose"]) == (
        path,
        "true",
    )


def test_permanent_subject_delete_sends_the_flag_and_returns_versions() -> None:
    recorder = Recorder(_json([1, 2]))
    assert _client(recorder).delete_subject(Subject("s"), permanent=True) == [1, 2]
    request = recorder.requests[0]
    assert (request.method, request.url.params["permanent"]) == ("DELETE", "true")


def test_requests_are_logged_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    client = _client(Recorder(_json([])), username="svc", password="s3cret")
    with caplog.at_level(logging.DEBUG, logger="registry.client"):
        client.list_subjects()
    assert caplog.records
    assert "s3cret" not in caplog.text
