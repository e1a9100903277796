"""`ugc up`, `ugc status` and `ugc down` as a newcomer runs them: every component starts
healthy on its port, status tells, the contracts register, events sent to the running API
come back decoded from Kafka, and down leaves no process behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Consumer, TopicPartition

from registry.client.client import RegistryClient
from registry.client.serdes import AvroDeserializer
from ugc.process import free_port

UGC = [sys.executable, "-m", "ugc"]
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
USER = "5f0c3b4e-1d2a-4c6b-8e9f-0a1b2c3d4e5f"


def _processes_under(data_dir: Path) -> list[str]:
    """Command lines of live processes started for this stack (their markers or paths)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if str(data_dir) in cmdline or f"UGC_DATA_DIR={data_dir}".encode() in environ:
            found.append(cmdline)
    return found


def _post_until_known(url: str, token: str, body: Any) -> httpx.Response:
    """POST, waiting out the API's catalog refresh (it may have looked before registration)."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 30
    while True:
        response = httpx.post(url, json=body, headers=headers, timeout=30)
        if response.status_code != 404 or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


def _read_back(bootstrap: str, registry: str, where: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records at each acknowledged (topic, partition, offset), decoded through the registry."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"e2e-{uuid.uuid4()}"})
    decoded = []
    try:
        with RegistryClient(registry) as client:
            deserializer = AvroDeserializer(client)
            for spot in where:
                consumer.assign([TopicPartition(spot["topic"], spot["partition"], spot["offset"])])
                message = consumer.poll(30)
                assert message is not None and message.error() is None, spot
                decoded.append(deserializer.deserialize(message.value()))
    finally:
        consumer.close()
    return decoded


def _events_through_the_api(env: dict[str, str], ugc: Any) -> None:
    registry, api = env["UGC_REGISTRY_URL"], f"http://127.0.0.1:{env['UGC_API_PORT']}"
    registered = ugc("schemas", "register", "--schemas-dir", str(SCHEMAS))
    assert registered.returncode == 0, registered.stdout + registered.stderr
    token = ugc("token", "--user", USER).stdout.strip()
    examples = {p.stem: json.loads(p.read_text()) for p in (SCHEMAS / "examples").glob("*.json")}

    single = _post_until_known(f"{api}/api/v1/events/film_rating", token, examples["film_rating"])
    assert single.status_code == 202, single.text
    batch = [{"type": name, "event": event} for name, event in sorted(examples.items())]
    accepted = _post_until_known(f"{api}/api/v1/events", token, batch)
    assert accepted.status_code == 202, accepted.text
    where = [single.json(), *accepted.json()["results"]]

    decoded = _read_back(f"127.0.0.1:{env['UGC_KAFKA_PORT']}", registry, where)

    sent = [("film_rating", examples["film_rating"]), *((i["type"], i["event"]) for i in batch)]
    assert len(decoded) == len(sent) == len(examples) + 1
    for spot, event, (event_type, example) in zip(where, decoded, sent, strict=True):
        assert spot["topic"] == f"ugc.{event_type}"
        assert str(event["event_id"]) == spot["event_id"]
        assert str(event["user_id"]) == USER
        assert event["context"]["app"] == example["context"]["app"]
    _landed_in_the_warehouse(ugc, [spot["event_id"] for spot in where])


def _landed_in_the_warehouse(ugc: Any, event_ids: list[str]) -> None:
    """The ETL of the stack loads every accepted event into the views `ugc.<event_type>`."""
    types = ["bookmark", "click", "film_progress", "film_rating", "film_review", "page_view",
             "player_event", "search_query"]  # fmt: skip
    union = " UNION ALL ".join(f"SELECT toString(event_id) AS id FROM ugc.{t}" for t in types)
    deadline = time.monotonic() + 90
    while True:
        answer = ugc("query", f"SELECT id FROM ({union}) ORDER BY id", "--format", "csv")
        loaded = answer.stdout.split()[1:] if answer.returncode == 0 else []
        if sorted(f'"{i}"' for i in event_ids) == loaded or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert loaded == sorted(f'"{i}"' for i in event_ids), answer.stdout + answer.stderr


def test_up_status_down_runs_every_component_and_leaves_nothing(tmp_path: Path) -> None:
    data_dir = (tmp_path / "var").resolve()
    registry_port = free_port()
    warehouse_port = free_port()
    env = {
        **os.environ,
        "UGC_DATA_DIR": str(data_dir),
        "UGC_KAFKA_PORT": str(free_port()),
        "UGC_REGISTRY_PORT": str(registry_port),
        "UGC_API_PORT": str(free_port()),
        "UGC_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
        "UGC_WAREHOUSE_PORT": str(warehouse_port),
        "UGC_CONSOLE_PORT": str(free_port()),
        "UGC_ETL_PORT": str(free_port()),
    }

    def ugc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*UGC, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
            cwd=tmp_path,
            check=False,
        )

    up = ugc("up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        status = ugc("status")
        assert status.returncode == 0, status.stdout
        assert "kafka" in status.stdout and "registry" in status.stdout
        assert "warehouse" in status.stdout and "etl" in status.stdout
        assert "stopped" not in status.stdout
        env["UGC_CLICKHOUSE_DSN"] = f"http://127.0.0.1:{warehouse_port}"
        answered = ugc("query", "SELECT 40 + 2 AS answer", "--format", "csv")
        assert answered.stdout == '"answer"\n42\n', answered.stderr
        registry = f"http://127.0.0.1:{registry_port}"
        assert httpx.get(f"{registry}/healthz").json()["status"] == "ok"
        registered = httpx.post(
            f"{registry}/subjects/e2e-value/versions", json={"schema": '"string"'}, timeout=30
        )
        assert registered.json() == {"id": 1}
        _events_through_the_api(env, ugc)
        console = httpx.get(f"http://127.0.0.1:{env['UGC_CONSOLE_PORT']}/topics")
        assert console.status_code == 200
        assert "<h1>Topics</h1>" in console.text
    finally:
        down = ugc("down")
    assert down.returncode == 0
    assert "registry: stopped" in down.stdout and "kafka: stopped" in down.stdout
    assert "warehouse: stopped" in down.stdout
    assert "console: stopped" in down.stdout
    assert "etl: stopped" in down.stdout
    assert _processes_under(data_dir) == []
    after = ugc("status")
    assert after.returncode == 1
