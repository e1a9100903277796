"""The console's Flask application: `create_app(settings, cluster=…, registry=…, warehouse=…)`.

Collaborators come in as arguments (tests pass fakes or real clients); without them the
factory builds a `KafkaCluster` and a `RegistryClient` from the settings, and opens the
warehouse on first use. Pages are server-rendered Jinja templates (autoescaped); every error
— domain errors, framework 404/405, anything unexpected — renders the error page with the
status from `services.console.errors.HTTP_STATUS`, never a traceback.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from registry.client.errors import RegistryError
from registry.client.protocol import SchemaRegistry
from services.console import errors, security
from services.console.browse import MessageBrowser
from services.console.cluster import Cluster, KafkaCluster
from services.console.decoding import MessageDecoder
from services.console.pipeline import Pipeline, Warehouse
from services.console.routes import auth, groups, messages, pipeline, produce, schemas, topics
from services.console.schemas import SchemaService, from_registry
from services.console.settings import ConsoleSettings

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 2 * 1024 * 1024


@dataclass
class Console:
    """What the views share: the settings and the services over the collaborators."""

    settings: ConsoleSettings
    cluster: Cluster
    registry: SchemaRegistry
    decoder: MessageDecoder
    browser: MessageBrowser
    schemas: SchemaService
    pipeline: Pipeline


def create_app(
    settings: ConsoleSettings | None = None,
    *,
    cluster: Cluster | None = None,
    registry: SchemaRegistry | None = None,
    warehouse: Warehouse | None = None,
) -> Flask:
    settings = settings or ConsoleSettings()
    cluster = cluster or KafkaCluster(
        settings.kafka_config(), timeout=settings.console_kafka_timeout
    )
    registry = registry or settings.registry_client(timeout=5.0)
    decoder = MessageDecoder(registry)
    browser = MessageBrowser(
        cluster,
        decoder,
        scan_limit=settings.console_scan_limit,
        shown_bytes=settings.console_shown_bytes,
    )
    console = Console(
        settings,
        cluster,
        registry,
        decoder,
        browser,
        SchemaService(registry),
        Pipeline(settings, cluster, decoder, warehouse),
    )
    app = Flask(__name__)
    secret = settings.console_secret_key
    app.secret_key = secret.get_secret_value() if secret else secrets.token_bytes(32)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="ugc_console",
    )
    app.extensions["ugc.console"] = console
    for module in (topics, messages, produce, groups, schemas, pipeline, auth):
        app.register_blueprint(module.blueprint)
    _register_context(app, settings)
    _register_error_handlers(app)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    return app


def _register_context(app: Flask, settings: ConsoleSettings) -> None:
    @app.before_request
    def guard() -> None:
        security.check_csrf()

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:",
        )
        return response

    @app.context_processor
    def shared() -> dict[str, Any]:
        return {
            "csrf_token": security.csrf_token,
            "user": security.current_user(),
            "read_only_reason": settings.why_read_only(),
        }

    @app.template_filter("when")
    def when(timestamp_ms: int | None) -> str:
        """A Kafka timestamp (epoch milliseconds), in UTC."""
        if timestamp_ms is None:
            return "-"
        return moment(datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC))

    @app.template_filter("moment")
    def moment(value: datetime | None) -> str:
        """A time read from ClickHouse, in UTC; a naive one is UTC already (the warehouse's
        columns are DateTime64(3, 'UTC'))."""
        if value is None:
            return "-"
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _error_page(error: errors.ConsoleError) -> tuple[str, int]:
    status = errors.http_status(error)
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.path, error.message)
    return render_template("error.html", error=error, status=status), status


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(errors.ConsoleError)
    def domain_error(error: errors.ConsoleError) -> tuple[str, int]:
        return _error_page(error)

    @app.errorhandler(RegistryError)
    def registry_error(error: RegistryError) -> tuple[str, int]:
        return _error_page(from_registry(error, f"{request.method} {request.path}"))

    @app.errorhandler(HTTPException)
    def framework_error(error: HTTPException) -> tuple[str, int]:
        translated: errors.ConsoleError
        if isinstance(error, NotFound):
            translated = errors.NotFoundError(f"no page at {request.path}")
        elif isinstance(error, MethodNotAllowed):
            translated = errors.MethodNotAllowedError(f"{request.method} is not allowed here")
        elif isinstance(error, RequestEntityTooLarge):
            translated = errors.TooLargeError(f"the form is over {MAX_FORM_BYTES} bytes")
        else:
            translated = errors.BadInputError(error.description or error.name)
        return _error_page(translated)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _error_page(errors.ConsoleError("internal error; the console's log has details"))
