"""`ugc bench console`: time to first byte of the console's messages page, measured, not
asserted.

It fills one single-partition topic with `--messages` Confluent-framed Avro values (1,000,000
by default) and leaves another empty, then asks the console, in interleaved rounds, for:

- baseline: the newest page of the empty topic;
- the newest page of a 100-message topic (the same 25 messages' work, on a small topic);
- the big topic's page at offset 0 (oldest first), in the middle (oldest first) and at the
  end (newest first), each 25 messages decoded through the registry;

and prints the median and p90 time to first byte of each, and its ratio to the baseline.
By default it starts what it needs in a temporary directory: a Kafka broker, a registry
(over a `_schemas` topic on that broker) and the console, both served by werkzeug in this
process; `--bootstrap` and `--registry-url` use running ones instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from flask import Flask
from werkzeug.serving import make_server

from registry.client.client import RegistryClient
from registry.client.models import Subject
from registry.client.serdes import AvroSerializer
from registry.server.app import create_app as create_registry
from registry.server.kafka_store import KafkaStore
from registry.server.settings import RegistrySettings
from services.console.app import create_app as create_console
from services.console.settings import ConsoleSettings
from ugc.kafka.broker import LocalKafka
from ugc.process import free_port

SCHEMA = {
    "type": "record",
    "name": "BenchEvent",
    "namespace": "bench",
    "fields": [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "user_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "film_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "score", "type": "int"},
        {"name": "comment", "type": ["null", "string"], "default": None},
    ],
}


@contextlib.contextmanager
def _served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextlib.contextmanager
def _kafka(bootstrap: str | None) -> Iterator[str]:
    if bootstrap:
        yield bootstrap
        return
    with tempfile.TemporaryDirectory(prefix="ugc-bench-console-") as tmp:
        broker = LocalKafka(Path(tmp) / "kafka")
        try:
            yield broker.start(free_port())
        finally:
            broker.stop()


@contextlib.contextmanager
def _registry(bootstrap: str, url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    store = KafkaStore(bootstrap, f"_schemas.bench.{uuid.uuid4().hex[:8]}", timeout=30.0)
    store.start()
    try:
        settings = RegistrySettings(kafka_bootstrap=bootstrap, registry_topic=store.topic)
        with _served(create_registry(settings, store=store)) as served:
            yield served
    finally:
        store.close()


def _fill(bootstrap: str, registry_url: str, topic: str, count: int) -> float:
    """Produce `count` framed values to `topic`; answers the seconds it took."""
    subject = Subject(f"{topic}-value")
    with RegistryClient(registry_url) as registry:
        registry.register(subject, json.dumps(SCHEMA))
        serializer = AvroSerializer(registry, subject_name_strategy=lambda _: subject)
        values = [
            serializer.serialize(
                topic,
                {
                    "event_id": uuid.uuid4(),
                    "user_id": uuid.uuid4(),
                    "occurred_at": 1_764_662_400_000 + i,
                    "film_id": uuid.uuid4(),
                    "score": i % 10 + 1,
                    "comment": None if i % 3 else f"comment {i}",
                },
            )
            for i in range(1000)
        ]
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 50,
            "batch.size": 1_000_000,
            "compression.type": "lz4",
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    started = time.perf_counter()
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value=values[i % len(values)], key=b"bench")
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(120) != 0:
        raise click.ClickException("the broker did not acknowledge every message")
    return time.perf_counter() - started


def _ttfb(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    with client.stream("GET", url) as answer:
        chunks = answer.iter_raw()
        next(chunks, b"")
        first = time.perf_counter() - started
        for _ in chunks:
            pass
    if answer.status_code != 200:
        raise click.ClickException(f"{url} answered {answer.status_code}")
    return first * 1000


@click.command("console")
@click.option("--messages", default=1_000_000, show_default=True, type=click.IntRange(100))
@click.option("--rounds", default=15, show_default=True, type=click.IntRange(3))
@click.option("--bootstrap", help="A running Kafka (default: start one in a temp dir).")
@click.option("--registry-url", help="A running registry (default: serve one here).")
def bench_console(
    messages: int, rounds: int, bootstrap: str | None, registry_url: str | None
) -> None:
    """Time to first byte of the messages page: a big topic at its start, middle and end,
    against an empty topic."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with _kafka(bootstrap) as kafka, _registry(kafka, registry_url) as registry:
        run = uuid.uuid4().hex[:8]
        big, empty = f"bench.console.big.{run}", f"bench.console.empty.{run}"
        small = f"bench.console.small.{run}"
        admin = AdminClient({"bootstrap.servers": kafka})
        topics = (big, small, empty)
        for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
            future.result(timeout=60)
        _fill(kafka, registry, small, 100)
        seconds = _fill(kafka, registry, big, messages)
        click.echo(f"filled {big}: {messages:,} messages in {seconds:.1f}s")
        settings = ConsoleSettings(kafka_bootstrap=kafka, registry_url=registry)
        app = create_console(settings)
        try:
            with _served(app) as console, httpx.Client(timeout=60) as client:
                oldest = "anchor=offset&order=oldest&at="
                pages = {
                    "empty topic, newest (baseline)": f"/topics/{empty}/messages",
                    "100-message topic, newest": f"/topics/{small}/messages",
                    "offset 0, oldest first": f"/topics/{big}/messages?{oldest}0",
                    "middle, oldest first": f"/topics/{big}/messages?{oldest}{messages // 2}",
                    "end, newest first": f"/topics/{big}/messages",
                }
                for path in pages.values():  # warm up: connections, schema caches
                    _ttfb(client, console + path)
                samples: dict[str, list[float]] = {name: [] for name in pages}
                for _ in range(rounds):
                    for name, path in pages.items():
                        samples[name].append(_ttfb(client, console + path))
        finally:
            app.extensions["ugc.console"].cluster.close()
            for future in admin.delete_topics(list(topics)).values():
                future.result(timeout=60)
    _report(samples, messages, rounds)


def _report(samples: dict[str, list[float]], messages: int, rounds: int) -> None:
    click.echo(
        f"messages page, 25 decoded messages, time to first byte over {rounds} interleaved "
        f"rounds (console under werkzeug in this process; topic of {messages:,})"
    )
    baseline = statistics.median(next(iter(samples.values())))
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
        click.echo(
            f"  {name:32} median {median:7.1f} ms  p90 {p90:7.1f} ms  "
            f"x{median / baseline:.2f} of baseline"
        )
