"""When traffic stops, the loop writes what it holds soon after: the last events before a
pause do not wait for their batch to fill or to reach `etl_batch_seconds`; and a trickle of
events is not loaded one insert per event."""

from __future__ import annotations

import time
from collections.abc import Callable

from clickhouse_connect.driver.client import Client
from confluent_kafka import Producer

from registry.client.client import RegistryClient
from registry.client.models import Subject
from registry.client.serdes import AvroSerializer
from tests.support.etl import RunningEtl, count_rows, wait_for
from tests.support.events import record, schema


def _sender(registry: RegistryClient, producer: Producer, topic: str) -> Callable[[int], None]:
    """Registers the test schema for `topic`; the function produces the test's event n."""
    registry.register(Subject(f"{topic}-value"), schema())
    serializer = AvroSerializer(registry, schema=schema(), use_latest=False)

    def send(n: int) -> None:
        producer.produce(topic, value=serializer.serialize(topic, record(n)), key=b"u")

    return send


def test_the_last_events_before_a_pause_load_long_before_their_batch_is_due(
    registry_url: str,
    run_etl: Callable[..., RunningEtl],
    producer: Producer,
    clickhouse_client: Client,
    clickhouse_database: str,
    event_type: str,
) -> None:
    topic = f"ugc.{event_type}"
    with RegistryClient(registry_url) as registry:
        send = _sender(registry, producer, topic)
        etl = run_etl(
            registry_url,
            rf"^ugc\.{event_type}$",
            etl_batch_seconds=600.0,  # neither age nor size would ever flush these batches
            etl_batch_rows=100_000,
            etl_batch_min_rows=100_000,
        )
        view = f"{clickhouse_database}.{event_type}"
        for n in range(5):
            send(n)
        assert producer.flush(10) == 0
        # Within a minute (table and view created meanwhile), not the batch's 600 s.
        wait_for(lambda: count_rows(clickhouse_client, view), 5, timeout=60, etl=etl)


def test_a_trickle_of_events_loads_in_a_few_batches_not_one_per_event(
    registry_url: str,
    run_etl: Callable[..., RunningEtl],
    producer: Producer,
    clickhouse_client: Client,
    clickhouse_database: str,
    event_type: str,
) -> None:
    """One event every 0.2 s: polls often come back empty in between, and loading at each
    would make one insert (one part) per event (27 batches for these 30, measured)."""
    topic = f"ugc.{event_type}"
    with RegistryClient(registry_url) as registry:
        send = _sender(registry, producer, topic)
        etl = run_etl(registry_url, rf"^ugc\.{event_type}$", etl_batch_seconds=1.0)
        for n in range(30):
            send(n)
            producer.flush(10)
            time.sleep(0.2)
        wait_for(lambda: count_rows(clickhouse_client, f"{clickhouse_database}.{event_type}"), 30,
                 timeout=60, etl=etl)  # fmt: skip
    metrics = etl.process.loop.metrics.registry
    batches = metrics.get_sample_value("ugc_etl_batches_total", {"topic": topic})
    assert batches is not None and 3 <= batches <= 12, batches
