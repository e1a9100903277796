"""The ETL's Prometheus metrics and its small HTTP endpoint (`/metrics`, `/healthz`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)


class EtlMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.rows = Counter("ugc_etl_rows_loaded", "Rows loaded", ["table"], registry=r)
        self.bytes = Counter("ugc_etl_bytes_loaded", "Avro bytes loaded", ["topic"], registry=r)
        self.batches = Counter("ugc_etl_batches", "Partition batches loaded", ["topic"], registry=r)
        self.skipped = Counter(
            "ugc_etl_skipped", "Messages found already loaded after a restart", registry=r
        )
        self.retries = Counter(
            "ugc_etl_retries", "BackpressureError retries", ["cause"], registry=r
        )
        self.dead_letters = Counter(
            "ugc_etl_dead_letters",
            "Messages sent to the dead-letter topic",
            ["reason"],
            registry=r,
        )
        self.lag = Gauge(
            "ugc_etl_consumer_lag",
            "Messages behind the end of the partition",
            ["topic", "partition"],
            registry=r,
        )
        self.lateness = Histogram(
            "ugc_etl_event_lateness_seconds",
            "Load time minus occurred_at (first row of a run)",
            registry=r,
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400),
        )
        self.flush_seconds = Histogram(
            "ugc_etl_flush_seconds", "Time to load and commit one checkpoint", registry=r
        )

    def observe_stats(self, stats_json: str) -> None:
        """librdkafka statistics: consumer lag per assigned partition."""
        stats = json.loads(stats_json)
        for topic, body in stats.get("topics", {}).items():
            for partition, detail in body.get("partitions", {}).items():
                lag = detail.get("consumer_lag", -1)
                if partition != "-1" and lag >= 0:
                    self.lag.labels(topic, partition).set(lag)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def serve(
    metrics: EtlMetrics, health: Callable[[], dict[str, Any]], host: str, port: int
) -> ThreadingHTTPServer:
    """Serve `/metrics` and `/healthz` (200 while the loop runs) in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/metrics"):
                self._answer(200, CONTENT_TYPE_LATEST, metrics.render())
            elif self.path.startswith("/healthz"):
                state = health()
                status = 200 if state.get("running") else 503
                self._answer(status, "application/json", json.dumps(state).encode())
            else:
                self._answer(404, "application/json", b'{"error": "not found"}')

        def _answer(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="etl-http").start()
    return server
