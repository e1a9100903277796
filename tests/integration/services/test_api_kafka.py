"""The ingest API against the real registry and real Kafka: every event type round-trips
to confluent-kafka's own AvroDeserializer, bad input is refused, and a broker outage turns
answers into 503s without losing or duplicating any event that got a 202.

The round trip and the outage run twice: in process through Flask's test client (the
producer's poll thread), and over HTTP against `ugc api serve` under gunicorn's gevent
worker (the cooperative poller) — the way the API runs in production."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from flask import Flask
from pydantic import SecretStr

from contracts.loading import Contract, load_contracts
from registry.client.client import RegistryClient
from services.api.app import create_app
from services.api.auth import mint_token
from services.api.settings import ApiSettings
from ugc.kafka.broker import LocalKafka
from ugc.process import free_port

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
SECRET = "integration-test-secret-of-32-bytes-or-more"
USER = "2b1f0d6e-8c3a-4f5b-9d7e-1a2b3c4d5e6f"
AUTH = {"Authorization": f"Bearer {mint_token(USER, SECRET)}"}


@pytest.fixture(scope="module")
def contracts() -> list[Contract]:
    return load_contracts(SCHEMAS)


@pytest.fixture
def registered(registry_url: str, contracts: list[Contract]) -> str:
    with RegistryClient(registry_url) as registry:
        for contract in contracts:
            registry.register(contract.subject, contract.schema)
            registry.set_compatibility(contract.compatibility, contract.subject)
    return registry_url


@pytest.fixture
def make_app(registered: str) -> Iterator[Callable[[str], Flask]]:
    apps: list[Flask] = []

    def make(bootstrap: str) -> Flask:
        settings = ApiSettings(
            kafka_bootstrap=bootstrap,
            registry_url=registered,
            api_jwt_secret=SecretStr(SECRET),
            api_schemas_dir=SCHEMAS,
            api_rate_limit=0,
            api_delivery_timeout=3.0,
        )
        apps.append(create_app(settings))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["ugc.api"]["producer"].close()


Post = Callable[[str, dict[str, Any]], tuple[int, Any]]


class ServedApi:
    """`ugc api serve` (gevent worker) in a subprocess, for one Kafka bootstrap."""

    def __init__(self, bootstrap: str, registry_url: str, log: Path, *, workers: int = 1) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "UGC_KAFKA_BOOTSTRAP": bootstrap,
            "UGC_REGISTRY_URL": registry_url,
            "UGC_API_JWT_SECRET": SECRET,
            "UGC_API_SCHEMAS_DIR": str(SCHEMAS),
            "UGC_API_RATE_LIMIT": "0",
            "UGC_API_DELIVERY_TIMEOUT": "3",
            "UGC_API_WORKER_CLASS": "gevent",
        }
        port = self.url.rsplit(":", 1)[1]
        argv = [sys.executable, "-m", "ugc", "api", "serve", "--port", port]
        argv += ["--workers", str(workers)]
        self._log = log.open("w")
        self.process = subprocess.Popen(argv, env=env, stdout=self._log, stderr=self._log)
        self.client = httpx.Client(base_url=self.url, headers=AUTH, timeout=30.0)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"ugc api serve did not start: {log.read_text()}")

    def post(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        response = self.client.post(path, json=payload)
        return response.status_code, response.json()

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(30)
        self._log.close()


@pytest.fixture(params=["in-process", "gevent-server"])
def make_post(
    request: pytest.FixtureRequest,
    make_app: Callable[[str], Flask],
    registered: str,
    tmp_path: Path,
) -> Iterator[Callable[[str], Post]]:
    """Sends go through Flask's test client, or over HTTP to `ugc api serve`."""
    servers: list[ServedApi] = []

    def make(bootstrap: str) -> Post:
        if request.param == "in-process":
            client = make_app(bootstrap).test_client()

            def post(path: str, payload: dict[str, Any]) -> tuple[int, Any]:
                response = client.post(path, json=payload, headers=AUTH)
                return response.status_code, response.json

            return post
        servers.append(ServedApi(bootstrap, registered, tmp_path / f"api-{len(servers)}.log"))
        return servers[-1].post

    yield make
    for server in servers:
        server.stop()


def _read(bootstrap: str, topic: str, partition: int, start: int, end: int) -> list[Any]:
    """The messages of one partition from `start` up to, not including, `end`."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4()}"})
    consumer.assign([TopicPartition(topic, partition, start)])
    found: list[Any] = []
    deadline = time.monotonic() + 30
    try:
        while len(found) < end - start and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                found.append(message)
    finally:
        consumer.close()
    return found


def test_every_event_type_round_trips_to_confluent_avro_deserializer(
    make_post: Callable[[str], Post],
    kafka_bootstrap: str,
    registered: str,
    contracts: list[Contract],
) -> None:
    post = make_post(kafka_bootstrap)
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registered}))
    for contract in contracts:
        status, answer = post(f"/api/v1/events/{contract.event_type}", contract.example)
        assert status == 202, answer
        [message] = _read(
            kafka_bootstrap,
            answer["topic"],
            answer["partition"],
            answer["offset"],
            answer["offset"] + 1,
        )
        assert message.key() == USER.encode()
        context = SerializationContext(contract.topic, MessageField.VALUE)
        record = deserializer(message.value(), context)
        assert str(record["event_id"]) == answer["event_id"]
        assert str(record["user_id"]) == USER
        for name, value in contract.example.items():
            if name not in ("occurred_at", "event_id", "context"):
                assert _json_form(record[name]) == value, name
        assert record["occurred_at"].tzinfo is not None
        assert record["context"]["app"] == contract.example["context"]["app"]


def _json_form(value: Any) -> Any:
    """A decoded Avro value as the client wrote it in JSON (uuids as strings)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_form(v) for k, v in value.items() if v is not None}
    return value


def _token(claims: dict[str, Any], secret: str = SECRET) -> str:
    import jwt

    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")


_JSON = {"Content-Type": "application/json"}
_LATER = int(time.time()) + 24 * 3600  # minted at import: outlives any session
# name: (path, headers, body, status, error code)
BAD_REQUESTS: dict[str, tuple[str, dict[str, str], bytes, int, str]] = {
    "unknown type": ("/api/v1/events/nope", {**AUTH, **_JSON}, b"{}", 404, "unknown_event_type"),
    "unknown field": (
        "/api/v1/events/film_rating",
        {**AUTH, **_JSON},
        b'{"bogus": 1}',
        422,
        "invalid_event",
    ),
    "server-owned field": (
        "/api/v1/events/film_rating",
        {**AUTH, **_JSON},
        f'{{"user_id": "{USER}"}}'.encode(),
        422,
        "invalid_event",
    ),
    "malformed json": (
        "/api/v1/events/film_rating",
        {**AUTH, **_JSON},
        b"{",
        400,
        "malformed_request",
    ),
    "wrong content type": (
        "/api/v1/events/film_rating",
        {**AUTH, "Content-Type": "text/plain"},
        b"{}",
        415,
        "unsupported_media_type",
    ),
    "over 500 events": (
        "/api/v1/events",
        {**AUTH, **_JSON},
        json.dumps([{"type": "click", "event": {}}] * 501).encode(),
        413,
        "payload_too_large",
    ),
    "over 1 MiB": (
        "/api/v1/events/film_review",
        {**AUTH, **_JSON},
        b'{"text": "' + b"x" * (1024 * 1024) + b'"}',
        413,
        "payload_too_large",
    ),
    "no token": ("/api/v1/events/film_rating", _JSON, b"{}", 401, "unauthenticated"),
    "forged token": (
        "/api/v1/events/film_rating",
        {**_JSON, "Authorization": _token({"sub": USER, "exp": _LATER}, "x" * 40)},
        b"{}",
        401,
        "unauthenticated",
    ),
    "expired token": (
        "/api/v1/events/film_rating",
        {**_JSON, "Authorization": _token({"sub": USER, "exp": int(time.time()) - 3600})},
        b"{}",
        401,
        "unauthenticated",
    ),
}


def _check_refusal(name: str, status: int, body: Any) -> None:
    expected_status, expected_error = BAD_REQUESTS[name][3:]
    assert status == expected_status, (name, body)
    assert body["status"] == status and body["error"] == expected_error, (name, body)
    if name == "unknown type":
        assert "film_rating" in body["message"], body  # it lists the known types


@pytest.mark.parametrize("name", BAD_REQUESTS)
def test_bad_input_is_refused_with_a_json_error(
    make_app: Callable[[str], Flask], kafka_bootstrap: str, name: str
) -> None:
    path, headers, content, _, _ = BAD_REQUESTS[name]
    response = make_app(kafka_bootstrap).test_client().post(path, headers=headers, data=content)
    _check_refusal(name, response.status_code, response.json)


def test_bad_input_is_refused_by_the_gevent_server_too(
    kafka_bootstrap: str, registered: str, tmp_path: Path
) -> None:
    server = ServedApi(kafka_bootstrap, registered, tmp_path / "api.log")
    try:
        for name, (path, headers, content, _, _) in BAD_REQUESTS.items():
            response = httpx.post(server.url + path, headers=headers, content=content, timeout=30)
            _check_refusal(name, response.status_code, response.json())
    finally:
        server.stop()


class Sender(threading.Thread):
    """Posts ratings with client event ids until stopped, recording each answer."""

    def __init__(self, post: Post, example: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.post = post
        self.example = example
        self.answers: list[tuple[str, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            event_id = str(uuid.uuid4())
            payload = {**self.example, "event_id": event_id}
            status, _ = self.post("/api/v1/events/film_rating", payload)
            self.answers.append((event_id, status))
            if status != 202:
                time.sleep(0.2)

    def count(self, status: int, since: int = 0) -> int:
        return sum(1 for _, code in self.answers[since:] if code == status)

    def wait_for(self, status: int, count: int, since: int = 0, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count(status, since) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        assert self.count(status, since) >= count, Counter(code for _, code in self.answers)


def test_broker_outage_answers_503_and_every_202_is_in_kafka_exactly_once(
    make_post: Callable[[str], Post], registered: str, contracts: list[Contract], tmp_path: Path
) -> None:
    broker = LocalKafka(tmp_path / "kafka")
    port = free_port()
    bootstrap = broker.start(port)
    try:
        example = next(c.example for c in contracts if c.event_type == "film_rating")
        sender = Sender(make_post(bootstrap), example)
        sender.start()
        sender.wait_for(202, 20)
        broker.stop()
        outage_start = len(sender.answers)
        sender.wait_for(503, 2, since=outage_start)
        broker.start(port)
        sender.wait_for(202, 10, since=len(sender.answers))
        sender.stopping.set()
        sender.join(30)
        codes = Counter(code for _, code in sender.answers)
        assert set(codes) <= {202, 503}, codes
        acknowledged = [event_id for event_id, code in sender.answers if code == 202]
        stored = _stored_event_ids(bootstrap, "ugc.film_rating", registered)
        assert all(stored[event_id] == 1 for event_id in acknowledged), codes
    finally:
        broker.stop()


def _stored_event_ids(bootstrap: str, topic: str, registry_url: str) -> Counter[str]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4()}"})
    _, end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    consumer.close()
    messages = _read(bootstrap, topic, 0, 0, end)
    assert len(messages) == end
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    context = SerializationContext(topic, MessageField.VALUE)
    return Counter(str(deserializer(m.value(), context)["event_id"]) for m in messages)


def test_metrics_count_every_worker_whichever_answers_the_scrape(
    kafka_bootstrap: str, registered: str, contracts: list[Contract], tmp_path: Path
) -> None:
    example = next(c.example for c in contracts if c.event_type == "bookmark")
    server = ServedApi(kafka_bootstrap, registered, tmp_path / "api.log", workers=2)
    try:
        sent = 40
        for _ in range(sent):  # a connection per request, so both workers take some
            response = httpx.post(
                f"{server.url}/api/v1/events/bookmark", json=example, headers=AUTH, timeout=30
            )
            assert response.status_code == 202, response.text
        line = 'ugc_api_events_accepted_total{event_type="bookmark"}'
        for _ in range(8):
            scrape = httpx.get(f"{server.url}/metrics", timeout=30).text
            counts = [row.split()[-1] for row in scrape.splitlines() if row.startswith(line)]
            assert counts == [f"{sent:.1f}"], counts
    finally:
        server.stop()
