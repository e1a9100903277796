"""Wiring of one ETL process: settings in, a running `EtlLoop` out (used by `ugc etl run`
and by the tests that run the ETL in process)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, Producer

from etl.checkpoint import Checkpoint
from etl.clickhouse import Warehouse
from etl.consumer import EtlLoop
from etl.dead_letter import DeadLetterWriter
from etl.errors import BackpressureError
from etl.metrics import EtlMetrics
from etl.settings import EtlSettings
from etl.sink import WarehouseSink
from etl.tables import Catalog
from registry.client.client import RegistryClient
from ugc.warehouse import connect

log = logging.getLogger(__name__)


@dataclass
class EtlProcess:
    loop: EtlLoop
    metrics: EtlMetrics
    catalog: Catalog
    producer: Producer
    registry: RegistryClient

    def close(self) -> None:
        self.producer.flush(10)
        self.producer.close()
        self.registry.close()


def build(
    settings: EtlSettings, *, client: Client | None = None, stop: threading.Event | None = None
) -> EtlProcess:
    """Connect to everything; waits (with backoff) while the warehouse cannot be reached."""
    if client is None:
        client = connect(settings.clickhouse_dsn, role="etl")
    warehouse = Warehouse(
        client,
        registry_url=settings.registry_url_for_clickhouse(),
    )
    catalog = Catalog(warehouse, settings.etl_database)
    _start_catalog(catalog, stop or threading.Event(), settings.etl_retry_max_seconds)
    registry = settings.registry_client()
    sink = WarehouseSink(warehouse, catalog, registry)
    metrics = EtlMetrics()
    producer = Producer(settings.producer_config())
    dead_letters = DeadLetterWriter(producer, settings.etl_dead_letter_topic)
    consumer = Consumer({**settings.consumer_config(), "stats_cb": metrics.observe_stats})
    checkpoint = Checkpoint(
        sink,
        dead_letters,
        consumer,
        max_rows=settings.etl_batch_rows,
        max_seconds=settings.etl_batch_seconds,
        min_rows=settings.etl_batch_min_rows,
    )
    loop = EtlLoop(
        consumer,
        checkpoint,
        sink,
        metrics,
        pattern=settings.etl_topic_pattern,
        retry_max_seconds=settings.etl_retry_max_seconds,
    )
    return EtlProcess(loop, metrics, catalog, producer, registry)


def _start_catalog(catalog: Catalog, stop: threading.Event, retry_max: float) -> None:
    delay = 1.0
    while True:
        try:
            catalog.start()
            return
        except BackpressureError as exc:
            if stop.is_set():
                raise
            log.warning("warehouse not ready (%s); retrying in %.0fs", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, retry_max)
