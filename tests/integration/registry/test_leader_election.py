"""Two `ugc registry serve` instances at their default settings (gunicorn, 2 workers each)
on one topic behave as one registry: one elected writer, writes forwarded to it, every
answer 200, ids and versions identical on both, read-your-writes per instance, and all of
it again while the leader's instance is SIGKILLed mid-run."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import RunningRegistry
from ugc.process import ManagedProcess, free_port

V1 = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
SUBJECTS = 8
RETRIABLE_CODES = {50002, 50003, 50004}


@dataclass
class Instance:
    host: str
    port: int
    process: ManagedProcess

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def kill(self) -> None:
        """SIGKILL the whole instance (gunicorn master and workers) at once."""
        pid = self.process.pid()
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not self.process.exited(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def serve(
    kafka_bootstrap: str, unique_name: Callable[[str], str], tmp_path: Path
) -> Iterator[Callable[..., Instance]]:
    """Start `ugc registry serve` instances on one topic; each may bind its own loopback
    address, so the leader's advertised URL tells which instance leads."""
    topic = unique_name("_schemas")
    started: list[Instance] = []

    def start(host: str, port: int | None = None, **env: str) -> Instance:
        port = port or free_port(host)
        name = f"registry-{host}-{port}"
        process = ManagedProcess(
            name, tmp_path / f"{name}.pid", tmp_path / f"{name}.log", marker=f"ugc-test={name}"
        )
        argv = [sys.executable, "-X", process.marker, "-m", "ugc", "registry", "serve"]
        variables = {
            **os.environ,
            "UGC_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "UGC_REGISTRY_TOPIC": topic,
            "UGC_REGISTRY_HOST": host,
            **env,
        }
        process.spawn([*argv, "--port", str(port)], env=variables)
        instance = Instance(host, port, process)
        started.append(instance)
        wait_until_serving(instance)
        return instance

    yield start
    for instance in started:
        instance.process.stop(grace=10)


def wait_until_serving(instance: Instance, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            leader = httpx.get(f"{instance.url}/leader", timeout=2).json()
            if leader["leader"] is not None:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    log = instance.process.log_file.read_text(errors="replace")[-3000:]
    raise AssertionError(f"{instance.url} did not serve with a known leader:\n{log}")


def schema(subject: int, index: int) -> str:
    """Distinct per index; any two of one subject are BACKWARD compatible."""
    fields = [
        {"name": "a", "type": "string"},
        {"name": f"x{index}", "type": ["null", "long"], "default": None},
    ]
    return json.dumps({"type": "record", "name": f"S{subject}", "fields": fields})


@dataclass
class Run:
    """16 writers registering `total` distinct schemas; each reads back what it wrote."""

    urls: list[str]
    prefix: str
    total: int = 800
    writers: int = 16
    acked: dict[int, int] = field(default_factory=dict)  # schema index -> id
    sent_at: dict[int, float] = field(default_factory=dict)  # of the attempt that succeeded
    acked_at: dict[int, float] = field(default_factory=dict)
    refusals: list[tuple[int, str]] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def subject(self, index: int) -> str:
        return f"{self.prefix}-{index % SUBJECTS}-value"

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._writer, args=(w,)) for w in range(self.writers)]
        for thread in threads:
            thread.start()
        return threads

    def _writer(self, number: int) -> None:
        at = number % len(self.urls)
        with httpx.Client(timeout=60) as client:
            for index in range(number, self.total, self.writers):
                at = self._register(client, at, index)

    def _register(self, client: httpx.Client, at: int, index: int) -> int:
        body = {"schema": schema(index % SUBJECTS, index)}
        while True:
            url = self.urls[at]
            sent = time.monotonic()
            try:
                answer = client.post(
                    f"{url}/subjects/{self.subject(index)}/versions", json=body, headers=V1
                )
            except httpx.TransportError:
                at = (at + 1) % len(self.urls)  # that instance is gone: use the other
                time.sleep(0.1)
                continue
            if answer.status_code == 200:
                break
            with self.lock:
                self.refusals.append((answer.status_code, answer.text))
            time.sleep(0.2)
        schema_id = int(answer.json()["id"])
        with self.lock:
            self.acked[index] = schema_id
            self.sent_at[index] = sent
            self.acked_at[index] = time.monotonic()
        self._read_back(client, url, index, schema_id, body)
        return at

    def _read_back(
        self, client: httpx.Client, url: str, index: int, schema_id: int, body: dict[str, str]
    ) -> None:
        try:
            by_id = client.get(f"{url}/schemas/ids/{schema_id}")
            lookup = client.post(f"{url}/subjects/{self.subject(index)}", json=body, headers=V1)
        except httpx.TransportError:
            return  # the instance died after answering the write: nothing to read from
        if by_id.status_code != 200 or lookup.status_code != 200:
            with self.lock:
                self.stale.append(f"{url} #{index} id {schema_id}: {by_id.text} {lookup.text}")
        elif lookup.json()["id"] != schema_id:
            with self.lock:
                self.stale.append(f"{url} #{index}: lookup gave {lookup.json()} for {schema_id}")


def registered(url: str, prefix: str) -> dict[str, list[tuple[int, int]]]:
    """Every subject of the run as [(version, id)], read from one instance."""
    found = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for number in range(SUBJECTS):
            subject = f"{prefix}-{number}-value"
            versions = client.get(f"/subjects/{subject}/versions").json()
            found[subject] = [
                (v, client.get(f"/subjects/{subject}/versions/{v}").json()["id"]) for v in versions
            ]
    return found


def check_invariants(run: Run, urls: list[str]) -> None:
    assert not run.stale, run.stale[:5]
    assert len(run.acked) == run.total
    assert len(set(run.acked.values())) == run.total, "an id stands for two schemas"
    first = registered(urls[0], run.prefix)
    for url in urls[1:]:
        assert registered(url, run.prefix) == first, f"{url} disagrees with {urls[0]}"
    for number in range(SUBJECTS):
        subject = f"{run.prefix}-{number}-value"
        versions = [version for version, _ in first[subject]]
        assert versions == list(range(1, run.total // SUBJECTS + 1)), subject
        expected = {i for index, i in run.acked.items() if index % SUBJECTS == number}
        assert {schema_id for _, schema_id in first[subject]} == expected, subject


def leader_instance(instances: list[Instance]) -> Instance:
    url = httpx.get(f"{instances[0].url}/leader?refresh=true", timeout=10).json()["leader"]
    host = urlsplit(url).hostname
    return next(instance for instance in instances if instance.host == host)


def test_two_instances_under_16_concurrent_writers_answer_200_and_agree_on_ids_and_versions(
    serve: Callable[..., Instance], unique_name: Callable[[str], str]
) -> None:
    instances = [serve("127.0.0.1"), serve("127.0.0.2")]
    run = Run([instance.url for instance in instances], unique_name("contention"))
    for thread in run.start():
        thread.join(300)
    assert run.refusals == []
    check_invariants(run, run.urls)


def test_writes_resume_after_the_leaders_instance_is_sigkilled_and_nothing_acked_is_lost(
    serve: Callable[..., Instance],
    unique_name: Callable[[str], str],
    record_property: Callable[[str, object], None],
) -> None:
    instances = [serve("127.0.0.1"), serve("127.0.0.2")]
    run = Run([instance.url for instance in instances], unique_name("failover"))
    threads = run.start()
    while len(run.acked) < run.total // 3:
        time.sleep(0.01)
    doomed = leader_instance(instances)
    killed_at = time.monotonic()
    doomed.kill()
    for thread in threads:
        thread.join(300)
    # The first write sent after the kill that was acknowledged: it needed the new leader.
    after = [run.acked_at[index] for index, sent in run.sent_at.items() if sent > killed_at]
    resumed = min(after) - killed_at
    record_property("writes_resumed_after_seconds", round(resumed, 2))
    print(f"\nwrites resumed {resumed:.2f} s after SIGKILL of the leader's instance")
    survivor = next(instance for instance in instances if instance is not doomed)
    leader = httpx.get(f"{survivor.url}/leader").json()["leader"]
    assert urlsplit(leader).hostname == survivor.host
    for status, text in run.refusals:  # answers during the gap: Confluent, retriable
        assert status == 500 and json.loads(text)["error_code"] in RETRIABLE_CODES, text
    restarted = serve(doomed.host, doomed.port)
    check_invariants(run, [survivor.url, restarted.url])


def test_regression_a_config_set_through_one_worker_is_read_by_every_next_request(
    serve: Callable[..., Instance], unique_name: Callable[[str], str]
) -> None:
    instance = serve("127.0.0.1")
    subject = unique_name("config") + "-value"
    for level in ("FULL", "NONE", "BACKWARD", "FORWARD") * 5:
        # A new connection per request, as most clients make: any worker may answer.
        put = httpx.put(
            f"{instance.url}/config/{subject}", json={"compatibility": level}, headers=V1
        )
        assert put.status_code == 200, put.text
        got = httpx.get(f"{instance.url}/config/{subject}")
        assert got.status_code == 200 and got.json()["compatibilityLevel"] == level, got.text


def test_a_read_only_replica_never_leads_and_forwards_writes_to_the_leader(
    start_registry: Callable[..., RunningRegistry],
) -> None:
    replica = start_registry(registry_leader_eligible=False)
    assert httpx.get(f"{replica.url}/leader").json() == {
        "leader": None,
        "is_self": False,
        "eligible": False,
    }
    leader = start_registry(topic=replica.topic)
    assert leader.store.leader(refresh=True).is_self
    answer = httpx.post(
        f"{replica.url}/subjects/r-value/versions",
        json={"schema": schema(0, 1)},
        headers=V1,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    # Read-your-writes through the replica: its next read reflects the forwarded write.
    assert httpx.get(f"{replica.url}/schemas/ids/{answer.json()['id']}").status_code == 200
    assert httpx.get(f"{replica.url}/leader?refresh=true").json()["leader"] == leader.url
