"""Settings of the ETL process (`ugc etl run`), from `UGC_*` environment variables."""

from __future__ import annotations

from typing import Any

from ugc.settings import KafkaClientSettings, RegistryClientSettings


class EtlSettings(KafkaClientSettings, RegistryClientSettings):
    """Kafka and registry client settings come from the mixins (UGC_KAFKA_*, UGC_REGISTRY_*)."""

    # The warehouse: a ClickHouse server (or `ugc warehouse serve`) over HTTP, or an embedded
    # chdb:///abs/dir opened by this process alone.
    clickhouse_dsn: str = "http://127.0.0.1:8123"
    etl_database: str = "ugc"
    etl_group_id: str = "ugc-etl"
    # Event topics are ugc.<event_type>; new ones are picked up within the metadata refresh.
    etl_topic_pattern: str = r"^ugc\.[a-z][a-z0-9_]*$"
    etl_dead_letter_topic: str = "ugc-etl.dead-letters"
    etl_batch_rows: int = 150_000  # per partition; bigger parts, fewer merges (measured)
    etl_batch_seconds: float = 1.0
    # A batch this big is written at once when no write is in flight (overlap, measured).
    etl_batch_min_rows: int = 25_000
    etl_fetch_queue_kbytes: int = 8_192
    # The registry URL as ClickHouse reaches it (AvroConfluent fetches schemas itself).
    etl_clickhouse_registry_url: str | None = None
    etl_host: str = "127.0.0.1"
    etl_port: int = 8090  # /metrics and /healthz
    etl_session_timeout_ms: int = 10_000
    etl_metadata_refresh_ms: int = 5_000
    etl_retry_max_seconds: float = 30.0

    def registry_url_for_clickhouse(self) -> str:
        return self.etl_clickhouse_registry_url or self.registry_url

    def consumer_config(self) -> dict[str, Any]:
        return self.kafka_config(
            {
                "group.id": self.etl_group_id,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                "partition.assignment.strategy": "cooperative-sticky",
                "session.timeout.ms": self.etl_session_timeout_ms,
                "heartbeat.interval.ms": max(500, self.etl_session_timeout_ms // 5),
                "topic.metadata.refresh.interval.ms": self.etl_metadata_refresh_ms,
                "statistics.interval.ms": 5_000,
                # The prefetch queue (per partition) bounds the process's memory; a small one
                # is only fast when a full queue postpones the next fetch briefly: librdkafka's
                # default backoff, 1 s, cut raw consume from ~500k to ~165k msg/s (measured).
                "queued.max.messages.kbytes": self.etl_fetch_queue_kbytes,
                "fetch.queue.backoff.ms": 5,
                "max.partition.fetch.bytes": 4 << 20,
                "enable.partition.eof": False,
            }
        )

    def producer_config(self) -> dict[str, Any]:
        return self.kafka_config(
            {
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 5,
                "compression.type": "lz4",
            }
        )
