from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from pydantic import SecretStr

from registry.client.fake import InMemoryRegistry
from tests.unit.services.console.conftest import FakeWarehouse, csrf_of, log_in, make_app
from tests.unit.services.console.fakes import FakeCluster


def test_a_post_without_the_sessions_csrf_token_is_refused(client: FlaskClient) -> None:
    log_in(client)
    for token in ("", "forged-token"):
        answer = client.post("/topics", data={"csrf_token": token, "name": "t"})
        assert answer.status_code == 403
        assert "CSRF token is missing or does not match" in answer.get_data(as_text=True)


def test_a_write_without_login_is_refused_with_401(
    client: FlaskClient, cluster: FakeCluster
) -> None:
    token = csrf_of(client)
    answer = client.post("/topics", data={"csrf_token": token, "name": "new.topic"})
    assert answer.status_code == 401
    assert "log in before changing anything" in answer.get_data(as_text=True)
    assert "new.topic" not in cluster.partitions


def test_a_logged_in_write_goes_through(client: FlaskClient, cluster: FakeCluster) -> None:
    log_in(client)
    token = csrf_of(client)
    answer = client.post("/topics", data={"csrf_token": token, "name": "new.topic"})
    assert answer.status_code == 302
    assert "new.topic" in cluster.partitions


def test_wrong_credentials_do_not_log_in(client: FlaskClient) -> None:
    token = csrf_of(client, "/login")
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "admin", "password": "nope"}
    )
    assert answer.status_code == 401
    assert "those credentials do not match" in answer.get_data(as_text=True)


def test_the_token_logs_in_too(
    cluster: FakeCluster, registry: InMemoryRegistry, warehouse: FakeWarehouse
) -> None:
    app = make_app(
        cluster, registry, warehouse, console_password=None, console_token=SecretStr("t0k")
    )
    client = app.test_client()
    token = csrf_of(client, "/login")
    assert client.post("/login", data={"csrf_token": token, "token": "t0k"}).status_code == 302


def test_read_only_refuses_writes_even_when_logged_in(
    cluster: FakeCluster, registry: InMemoryRegistry, warehouse: FakeWarehouse
) -> None:
    client = make_app(cluster, registry, warehouse, console_read_only=True).test_client()
    log_in(client)
    token = csrf_of(client)
    answer = client.post("/topics", data={"csrf_token": token, "name": "new.topic"})
    assert answer.status_code == 403
    assert "the console is read-only" in answer.get_data(as_text=True)
    assert "new.topic" not in cluster.partitions


def test_without_credentials_configured_writes_are_off(
    cluster: FakeCluster, registry: InMemoryRegistry, warehouse: FakeWarehouse
) -> None:
    client = make_app(cluster, registry, warehouse, console_password=None).test_client()
    token = csrf_of(client)
    answer = client.post(
        "/topics/ugc.rating/delete", data={"csrf_token": token, "confirm": "ugc.rating"}
    )
    assert answer.status_code == 403
    assert "UGC_CONSOLE_PASSWORD" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "/\\evil.example/x", "https://evil.example"]
)
def test_login_redirects_only_to_local_paths(client: FlaskClient, target: str) -> None:
    token = csrf_of(client, "/login")
    answer = client.post(
        "/login",
        data={"csrf_token": token, "username": "admin", "password": "secret", "next": target},
    )
    assert answer.headers["Location"] == "/topics"


def test_pages_forbid_framing_and_inline_script(client: FlaskClient) -> None:
    headers = client.get("/topics").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
