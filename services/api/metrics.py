"""The API's Prometheus metrics, in a registry of its own per app (so tests and several apps
in one process do not collide), exposed in the text format at GET /metrics.

Under `ugc api serve` prometheus_client runs in multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
set up by `services.api.server`): each gunicorn worker writes its values to files of one
directory and every scrape adds up all of them, so the counters do not depend on which
worker answers. Without that variable (tests, a single process) the values live in memory.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ApiMetrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ugc_api_requests",
            "HTTP requests answered, by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ugc_api_request_seconds",
            "Time to answer an HTTP request, by route",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events = Counter(
            "ugc_api_events_accepted",
            "Events acknowledged by Kafka and answered 202, by event type",
            ["event_type"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "ugc_api_errors",
            "Requests answered with an error, by error code",
            ["error"],
            registry=self.registry,
        )
        self.produce_latency = Histogram(
            "ugc_api_produce_seconds",
            "Time from handing events to the producer to Kafka's acknowledgement",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

        # Label lookups cost more than the increments: the hot path keeps the children.
        self._request_children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}
        self._event_children: dict[str, Counter] = {}

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        children = self._request_children.get((route, status))
        if children is None:
            children = (
                self.requests.labels(route, str(status)),
                self.latency.labels(route),
            )
            self._request_children[(route, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def events_accepted(self, event_type: str, count: int = 1) -> None:
        child = self._event_children.get(event_type)
        if child is None:
            child = self._event_children[event_type] = self.events.labels(event_type)
        child.inc(count)

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            every_worker = CollectorRegistry()
            multiprocess.MultiProcessCollector(every_worker)  # type: ignore[no-untyped-call]
            return generate_latest(every_worker)
        return generate_latest(self.registry)
