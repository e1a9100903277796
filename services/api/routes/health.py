"""GET /healthz (the process answers), /readyz (Kafka and the registry answer too) and
/metrics (Prometheus text format)."""

from __future__ import annotations

from flask import Blueprint, Response

from services.api.catalog.event_types import EventCatalog
from services.api.errors import UnavailableError
from services.api.http import answer
from services.api.metrics import CONTENT_TYPE_LATEST, ApiMetrics
from services.api.producer import EventProducer

_PING_TIMEOUT = 2.0


def blueprint(catalog: EventCatalog, producer: EventProducer, metrics: ApiMetrics) -> Blueprint:
    routes = Blueprint("health", __name__)

    @routes.get("/healthz")
    def healthz() -> Response:
        return answer({"status": "ok"})

    @routes.get("/readyz")
    def readyz() -> Response:
        def kafka() -> None:
            producer.ping(_PING_TIMEOUT)

        checks: dict[str, str] = {}
        for name, ping in (("kafka", kafka), ("registry", catalog.ping)):
            try:
                ping()
                checks[name] = "ok"
            except UnavailableError as exc:
                checks[name] = exc.message
        ready = all(state == "ok" for state in checks.values())
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return answer(body, 200 if ready else 503, None if ready else {"Retry-After": "1"})

    @routes.get("/metrics")
    def prometheus() -> Response:
        return Response(metrics.exposition(), 200, mimetype=None, content_type=CONTENT_TYPE_LATEST)

    return routes
