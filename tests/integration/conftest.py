"""Every test in this folder uses real services. The ETL fixtures live here because the
ETL's tests and the console's pipeline tests both run the real ETL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from etl.runner import build
from etl.settings import EtlSettings
from tests.support.etl import RunningEtl


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def event_type() -> str:
    """A unique snake_case event type: its topic is ugc.<event_type>."""
    return f"e{uuid.uuid4().hex[:10]}_rating"


@pytest.fixture
def run_etl(
    kafka_bootstrap: str,
    clickhouse_client: Client,
    clickhouse_dsn: str,
    clickhouse_database: str,
) -> Iterator[Callable[..., RunningEtl]]:
    """Start ETL loops in this process (its own consumer group, dead-letter topic
    `dlq.<group>` and the test's database); all are stopped afterwards."""
    running: list[RunningEtl] = []
    group = f"etl-test-{uuid.uuid4().hex[:8]}"

    def start(registry_url: str, pattern: str, **overrides: Any) -> RunningEtl:
        defaults: dict[str, Any] = {
            "kafka_bootstrap": kafka_bootstrap,
            "registry_url": registry_url,
            "clickhouse_dsn": clickhouse_dsn,
            "etl_database": clickhouse_database,
            "etl_group_id": group,
            "etl_topic_pattern": pattern,
            "etl_dead_letter_topic": f"dlq.{group}",
            "etl_batch_seconds": 0.3,
            "etl_metadata_refresh_ms": 1000,
            "etl_session_timeout_ms": 6000,
            "etl_retry_max_seconds": 2.0,
        }
        settings = EtlSettings(**{**defaults, **overrides})
        process = build(settings)  # its own client: the test queries concurrently
        errors: list[BaseException] = []

        def target() -> None:
            try:
                process.loop.run()
            except BaseException as exc:
                errors.append(exc)
                raise

        thread = threading.Thread(target=target, daemon=True, name="etl-under-test")
        thread.start()
        etl = RunningEtl(settings, process, thread, errors)
        running.append(etl)
        return etl

    yield start
    for etl in running:
        etl.stop()
