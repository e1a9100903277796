"""The registry on a real Kafka `_schemas` topic: Confluent's record format, restarts that
keep every id, version and config, and two instances that never disagree."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from confluent_kafka import Consumer, TopicPartition

from tests.conftest import RunningRegistry

V1 = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def schema(name: str, *extra: str) -> str:
    fields = [{"name": "a", "type": "string"}]
    fields += [{"name": f, "type": ["null", "string"], "default": None} for f in extra]
    return json.dumps({"type": "record", "name": name, "fields": fields})


def register(url: str, subject: str, text: str) -> int:
    response = httpx.post(f"{url}/subjects/{subject}/versions", json={"schema": text}, headers=V1)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def snapshot(url: str) -> dict[str, Any]:
    """Everything a client can observe, for comparing two registries."""
    get = lambda path: httpx.get(url + path).json()  # noqa: E731
    seen: dict[str, Any] = {"subjects": get("/subjects?deleted=true"), "config": get("/config")}
    for subject in seen["subjects"]:
        versions = get(f"/subjects/{subject}/versions?deleted=true")
        seen[subject] = [get(f"/subjects/{subject}/versions/{v}?deleted=true") for v in versions]
        seen[f"config:{subject}"] = get(f"/config/{subject}")
        seen[f"mode:{subject}"] = get(f"/mode/{subject}")
    ids = {v["id"] for subject in seen["subjects"] for v in seen[subject]}
    seen["ids"] = {i: get(f"/schemas/ids/{i}") for i in sorted(ids)}
    return seen


def raw_records(bootstrap: str, topic: str) -> list[tuple[bytes, bytes | None]]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": uuid.uuid4().hex,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    found = []
    try:
        while True:
            message = consumer.poll(5.0)
            assert message is not None, "timed out reading the schemas topic"
            if message.error():
                break
            found.append((message.key(), message.value()))
    finally:
        consumer.close()
    return found


def test_records_use_confluent_key_and_value_format(
    start_registry: Callable[..., RunningRegistry], kafka_bootstrap: str
) -> None:
    registry = start_registry()
    schema_id = register(registry.url, "orders-value", schema("Order"))
    httpx.put(f"{registry.url}/config/orders-value", json={"compatibility": "FULL"}, headers=V1)
    httpx.put(f"{registry.url}/config", json={"compatibility": "NONE"}, headers=V1)
    records = dict(raw_records(kafka_bootstrap, registry.topic))
    key = b'{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}'
    value = json.loads(records[key] or b"")
    assert value == {
        "subject": "orders-value",
        "version": 1,
        "id": schema_id,
        "schema": json.loads(httpx.get(f"{registry.url}/schemas/ids/{schema_id}").text)["schema"],
        "deleted": False,
    }
    subject_config = b'{"keytype":"CONFIG","subject":"orders-value","magic":0}'
    assert json.loads(records[subject_config] or b"") == {"compatibilityLevel": "FULL"}
    assert json.loads(records[b'{"keytype":"CONFIG","magic":0}'] or b"") == {
        "compatibilityLevel": "NONE"
    }


def test_restarted_registry_answers_identically(
    start_registry: Callable[..., RunningRegistry],
) -> None:
    first = start_registry()
    for i in range(3):
        register(first.url, "a-value", schema("A", *[f"f{j}" for j in range(i)]))
    register(first.url, "b-value", schema("A"))
    register(first.url, "c-value", schema("C"))
    httpx.put(f"{first.url}/config/b-value", json={"compatibility": "FULL"}, headers=V1)
    httpx.put(f"{first.url}/mode/c-value", json={"mode": "READONLY"}, headers=V1)
    httpx.delete(f"{first.url}/subjects/a-value/versions/2")
    before = snapshot(first.url)
    first.stop()
    second = start_registry(topic=first.topic)
    assert snapshot(second.url) == before
    assert register(second.url, "d-value", schema("D")) == max(before["ids"]) + 1


def test_two_instances_on_one_topic_never_issue_conflicting_ids(
    start_registry: Callable[..., RunningRegistry],
) -> None:
    left = start_registry()
    right = start_registry(topic=left.topic)
    results: dict[tuple[str, str], int] = {}
    lock = threading.Lock()

    def work(url: str, side: str) -> None:
        for i in range(12):
            subject = "shared-value" if i % 3 == 0 else f"{side}-{i}-value"
            text = schema("Shared", f"{side}{i}") if subject == "shared-value" else schema(f"S{i}")
            schema_id = register(url, subject, text)
            with lock:
                results[(subject, text)] = schema_id

    threads = [
        threading.Thread(target=work, args=(left.url, "left")),
        threading.Thread(target=work, args=(right.url, "right")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    texts_by_id: dict[int, set[str]] = {}
    for (_, text), schema_id in results.items():
        texts_by_id.setdefault(schema_id, set()).add(text)
    assert all(len(texts) == 1 for texts in texts_by_id.values()), texts_by_id
    # Both instances converge on the same answers once they have read the whole log.
    register(left.url, "sync-value", schema("Sync"))
    register(right.url, "sync-value", schema("Sync"))
    expected = snapshot(left.url)
    assert eventually(f"{right.url}/subjects?deleted=true", expected["subjects"])
    assert snapshot(right.url) == expected
    shared = httpx.get(f"{left.url}/subjects/shared-value/versions").json()
    assert shared == list(range(1, len(shared) + 1))


def test_health_reports_store_lag(start_registry: Callable[..., RunningRegistry]) -> None:
    registry = start_registry()
    register(registry.url, "h-value", schema("H"))
    health = httpx.get(f"{registry.url}/healthz").json()
    assert health["status"] == "ok"
    assert health["store_lag"] == 0


def test_the_same_schema_registered_through_both_instances_at_once_gets_one_version(
    start_registry: Callable[..., RunningRegistry],
) -> None:
    left = start_registry()
    right = start_registry(topic=left.topic)
    answers: list[int] = []
    barrier = threading.Barrier(8)

    def race(url: str, i: int) -> None:
        barrier.wait()
        answers.append(register(url, f"race-{i % 2}-value", schema("Race")))

    threads = [
        threading.Thread(target=race, args=(left.url if i % 4 < 2 else right.url, i))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 8 and len(set(answers)) == 1
    for url in (left.url, right.url):
        for subject in ("race-0-value", "race-1-value"):
            assert eventually(f"{url}/subjects/{subject}/versions", [1]) == [1]


def eventually(url: str, expected: Any, seconds: float = 5.0) -> Any:
    """GET url until it answers `expected` (an instance's reader catching up) or time runs out."""
    deadline = time.monotonic() + seconds
    answer = httpx.get(url).json()
    while answer != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        answer = httpx.get(url).json()
    return answer
