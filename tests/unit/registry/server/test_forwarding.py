"""A follower forwards writes to the leader and relays its answer; a write that cannot get
through answers Confluent's 50003/50004 with a clear message, never a Python error.

The leader is a real app on a `MemoryStore`, served on a local port; the follower's store
is a `MemoryStore` that refuses to write, as a `KafkaStore` that does not lead does."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from flask.testing import FlaskClient

from registry.server.app import create_app
from registry.server.errors import NotLeaderError
from registry.server.forwarding import FORWARDED_HEADER, POSITION_HEADER
from registry.server.peer import PeerListener
from registry.server.settings import RegistrySettings
from registry.server.store import Leader, MemoryStore, Prepare, T
from ugc.process import free_port

V1 = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
SCHEMA = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})


class FollowerStore(MemoryStore):
    """Holds no writes of its own; knows where the leader is; records promised positions."""

    def __init__(self, leader_url: str | None) -> None:
        super().__init__()
        self.leader_url = leader_url
        self.promised: list[int] = []

    def write(self, prepare: Prepare[T]) -> T:
        raise NotLeaderError("this registry process is not the leader")

    def leader(self, *, refresh: bool = False) -> Leader:
        return Leader(self.leader_url, False)

    def catch_up(self, position: int) -> None:
        self.promised.append(position)


@pytest.fixture
def leader() -> Iterator[PeerListener]:
    """The leader's app behind the listener a registry process serves forwarded writes on."""
    listener = PeerListener(
        create_app(RegistrySettings(), store=MemoryStore()), "127.0.0.1", "127.0.0.1"
    )
    listener.start()
    yield listener
    listener.stop()


@pytest.fixture
def leader_url(leader: PeerListener) -> str:
    return leader.url


def follower(store: FollowerStore, timeout: float = 0.5) -> FlaskClient:
    return create_app(RegistrySettings(registry_store_timeout=timeout), store=store).test_client()


def test_a_follower_relays_the_leaders_answer_and_promises_its_position(leader_url: str) -> None:
    store = FollowerStore(leader_url)
    client = follower(store)
    answer = client.post("/subjects/ns%2Fa-value/versions", json={"schema": SCHEMA}, headers=V1)
    assert answer.status_code == 200 and answer.get_json() == {"id": 1}
    assert store.promised == [1]  # the leader's log held one record after the write
    relayed = client.post(
        "/subjects/ns%2Fa-value/versions", json={"schema": "not json"}, headers=V1
    )
    assert relayed.status_code == 422 and relayed.get_json()["error_code"] == 42201


def test_a_leader_that_cannot_be_reached_answers_50003_naming_it() -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    answer = follower(FollowerStore(gone)).post(
        "/subjects/a-value/versions", json={"schema": SCHEMA}, headers=V1
    )
    assert answer.status_code == 500
    body = answer.get_json()
    assert body["error_code"] == 50003
    assert gone in body["message"] and "Error while forwarding" in body["message"]


def test_no_leader_at_all_answers_50004_and_reads_still_work() -> None:
    client = follower(FollowerStore(None))
    answer = client.put("/config", json={"compatibility": "FULL"}, headers=V1)
    assert answer.status_code == 500
    assert answer.get_json()["error_code"] == 50004
    assert answer.get_json()["message"].startswith("Unknown leader")
    assert client.get("/config").status_code == 200


def test_a_forwarded_request_is_never_forwarded_again(leader_url: str) -> None:
    answer = follower(FollowerStore(leader_url)).post(
        "/subjects/a-value/versions",
        json={"schema": SCHEMA},
        headers={**V1, FORWARDED_HEADER: "1"},
    )
    assert answer.status_code == 500 and answer.get_json()["error_code"] == 50004


def test_the_leader_tells_a_forwarding_follower_its_log_position(leader_url: str) -> None:

    answer = httpx.post(
        f"{leader_url}/subjects/a-value/versions",
        json={"schema": SCHEMA},
        headers={**V1, FORWARDED_HEADER: "1"},
    )
    assert answer.status_code == 200 and answer.headers[POSITION_HEADER] == "1"
    assert POSITION_HEADER not in httpx.get(f"{leader_url}/subjects").headers


def test_the_peer_listener_keeps_connections_alive_and_closes_them_on_stop(
    leader: PeerListener,
) -> None:
    port = int(leader.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    answers = []
    for _ in range(2):
        connection.request("GET", "/subjects")
        response = connection.getresponse()
        answers.append((response.status, response.getheader("Connection"), response.read()))
    assert answers == [(200, None, b"[]")] * 2  # one connection, two answers, not closed
    kept = connection.sock
    assert kept is not None
    leader.stop()
    assert kept.recv(1) == b""  # the open connection was closed by the listener
    connection.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
