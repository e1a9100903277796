"""POST /api/v1/events/<event_type> (one event) and POST /api/v1/events (a batch)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from services.api.auth import TokenVerifier
from services.api.errors import InvalidEventError, PayloadTooLargeError
from services.api.http import answer, json_body
from services.api.ingest import IngestService
from services.api.ratelimit import RateLimiter
from services.api.settings import ApiSettings

log = logging.getLogger(__name__)


def blueprint(
    service: IngestService, verifier: TokenVerifier, limiter: RateLimiter, settings: ApiSettings
) -> Blueprint:
    routes = Blueprint("events", __name__)

    def caller() -> str:
        principal = verifier.authenticate(request.headers.get("Authorization"))
        limiter.acquire(principal.user_id)
        return principal.user_id

    @routes.post("/api/v1/events/<event_type>")
    def post_event(event_type: str) -> Response:
        user_id = caller()
        known = service.catalog.get(event_type)  # 404 before reading the body
        payload = json_body(settings.api_max_body_bytes)
        accepted = service.accept(
            known,
            payload,
            user_id=user_id,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return answer(accepted.to_json(), 202)

    @routes.post("/api/v1/events")
    def post_batch() -> Response:
        user_id = caller()
        items = json_body(settings.api_max_body_bytes)
        if not isinstance(items, list):
            message = 'expected a JSON array of {"type": ..., "event": {...}}'
            raise InvalidEventError([{"path": "", "message": message}])
        limit = settings.api_max_batch_events
        if len(items) > limit:
            raise PayloadTooLargeError(f"{len(items)} events in one batch; the limit is {limit}")
        if not items:
            raise InvalidEventError([{"path": "", "message": "the batch is empty"}])
        results = service.accept_batch(
            items, user_id=user_id, idempotency_key=request.headers.get("Idempotency-Key")
        )
        log.info("batch of %d events accepted", len(results))
        return answer({"accepted": len(results), "results": [r.to_json() for r in results]}, 202)

    return routes
