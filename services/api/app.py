"""The ingest API's Flask application: `create_app(settings, producer=…, registry=…)`.

Collaborators come in as arguments; tests pass an `InMemoryRegistry` and a fake producer.
Without them the factory builds a `RegistryClient` and a `KafkaEventProducer` from the
settings. Every error — domain errors, framework 404/405, anything unexpected — answers with
the JSON body of `services.api.errors.error_body`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from registry.client.protocol import SchemaRegistry
from services.api import errors
from services.api.auth import TokenVerifier
from services.api.catalog.event_types import EventCatalog
from services.api.catalog.examples import manifest_examples
from services.api.http import answer
from services.api.ingest import IngestService
from services.api.metrics import ApiMetrics
from services.api.openapi import DocumentCache
from services.api.producer import EventProducer, KafkaEventProducer
from services.api.ratelimit import RateLimiter
from services.api.routes import catalog as catalog_routes
from services.api.routes import docs, events, health
from services.api.settings import ApiSettings

log = logging.getLogger(__name__)

_STARTED = "ugc.started"


def create_app(
    settings: ApiSettings | None = None,
    *,
    producer: EventProducer | None = None,
    registry: SchemaRegistry | None = None,
) -> Flask:
    settings = settings or ApiSettings()
    settings.warn_if_insecure()
    registry = registry or settings.registry_client(timeout=5.0)
    producer = producer or KafkaEventProducer(
        settings.kafka_config(),
        delivery_timeout=settings.api_delivery_timeout,
        linger_ms=settings.api_linger_ms,
        compression=settings.api_compression,
        queue_max_messages=settings.api_queue_max_messages,
        retry_after=settings.api_retry_after,
    )
    catalog = EventCatalog(
        registry,
        ttl=settings.api_catalog_ttl,
        max_stale=settings.api_catalog_max_stale,
        retry_after=settings.api_retry_after,
    )
    metrics = ApiMetrics()
    service = IngestService(catalog, producer, metrics)
    examples = manifest_examples(settings.api_schemas_dir)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.api_max_body_bytes + 64 * 1024
    app.extensions["ugc.api"] = {"service": service, "producer": producer, "metrics": metrics}
    verifier = TokenVerifier(settings)
    limiter = RateLimiter(settings.api_rate_limit, settings.api_rate_burst)
    app.register_blueprint(events.blueprint(service, verifier, limiter, settings))
    app.register_blueprint(catalog_routes.blueprint(catalog, examples))
    app.register_blueprint(docs.blueprint(catalog, DocumentCache(examples, settings)))
    app.register_blueprint(health.blueprint(catalog, producer, metrics))
    _register_metrics(app, metrics)
    _register_error_handlers(app, metrics)
    return app


def _register_metrics(app: Flask, metrics: ApiMetrics) -> None:
    @app.before_request
    def started() -> None:
        request.environ[_STARTED] = time.perf_counter()

    @app.after_request
    def finished(response: Response) -> Response:
        environ = request.environ
        rule = request.url_rule
        elapsed = time.perf_counter() - environ.get(_STARTED, 0.0)
        metrics.observe_request(rule.rule if rule else "unmatched", response.status_code, elapsed)
        return response


def _error_answer(error: errors.ApiError, metrics: ApiMetrics) -> Response:
    status, code = errors.http_answer(error)
    metrics.rejected.labels(code).inc()
    return answer(errors.error_body(error), status, error.headers())


def _register_error_handlers(app: Flask, metrics: ApiMetrics) -> None:
    @app.errorhandler(errors.ApiError)
    def domain_error(error: errors.ApiError) -> Response:
        if error.retriable:
            log.warning("%s %s: %s", request.method, request.path, error.message)
        return _error_answer(error, metrics)

    @app.errorhandler(HTTPException)
    def framework_error(error: HTTPException) -> Any:
        translated: errors.ApiError
        if isinstance(error, RequestEntityTooLarge):
            translated = errors.PayloadTooLargeError("the body is over the size limit")
        elif isinstance(error, MethodNotAllowed):
            allowed = sorted(error.valid_methods or [])
            translated = errors.MethodNotAllowedError(
                f"{request.method} is not allowed here", allowed
            )
        elif error.code == 404:
            translated = errors.NotFoundError(f"no such resource: {request.path}")
        else:
            translated = errors.MalformedRequestError(error.description or error.name)
        return _error_answer(translated, metrics)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _error_answer(errors.ApiError("internal error"), metrics)
