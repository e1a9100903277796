"""The registry's Flask application: `create_app(settings, store=…)`.

Collaborators come in as arguments (a store; tests pass a `MemoryStore` or a started
`KafkaStore`); without one the factory builds a `KafkaStore` from the settings, opens this
process's peer listener (the URL it advertises in the leader election), reads the topic
to its end and joins the election before the app serves. A write this process may not
make (`NotLeaderError`) is forwarded to the leader. Every error, including framework
404/405/415 and unexpected failures, answers with Confluent's JSON error body.
"""

from __future__ import annotations

import atexit
import base64
import hmac
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from registry.client.errors import ErrorCode
from registry.server import errors, openapi
from registry.server.election import ElectionConfig
from registry.server.forwarding import FORWARDED_HEADER, POSITION_HEADER, Forwarder
from registry.server.high_water import HighWater
from registry.server.http import (
    RawPath,
    SubjectConverter,
    answer,
    check_body_type,
    flag,
    negotiated_type,
)
from registry.server.kafka_store import KafkaStore
from registry.server.peer import PeerListener, advertised_host
from registry.server.routes import compatibility, config, schemas, subjects
from registry.server.service import RegistryService
from registry.server.settings import RegistrySettings
from registry.server.store import SchemaStore

log = logging.getLogger(__name__)

API_VERSION = "7.6.0-ugc"
_WRITES = {"POST", "PUT", "DELETE"}


def create_app(
    settings: RegistrySettings | None = None,
    *,
    store: SchemaStore | None = None,
    high_water: HighWater | None = None,
) -> Flask:
    """The app; `high_water` is shared by the workers of one instance (made before fork)."""
    settings = settings or RegistrySettings()
    app = Flask(__name__)
    if store is None:
        store = _started_kafka_store(app, settings, high_water)
    service = RegistryService(store)
    app.url_map.converters["subject"] = SubjectConverter
    app.url_map.strict_slashes = False
    app.wsgi_app = RawPath(app.wsgi_app)  # type: ignore[method-assign]
    app.extensions["ugc.registry.store"] = store
    for module in (schemas, subjects, compatibility, config):
        app.register_blueprint(module.blueprint(service))
    credentials = settings.registry_auth_user is not None
    app.register_blueprint(openapi.blueprint(credentials=credentials))
    _register_misc(app, store, settings)
    _register_guards(app, settings)
    _register_error_handlers(app, Forwarder(store, settings.registry_store_timeout))
    return app


def _started_kafka_store(
    app: Flask, settings: RegistrySettings, high_water: HighWater | None
) -> KafkaStore:
    host = settings.registry_host
    peer = PeerListener(app, host, advertised_host(host, settings.registry_advertised_host))
    election = ElectionConfig(
        url=peer.url,
        eligible=settings.registry_leader_eligible,
        session_timeout_ms=settings.registry_leader_session_timeout_ms,
    )
    store = KafkaStore(
        settings.kafka_bootstrap,
        settings.registry_topic,
        timeout=settings.registry_store_timeout,
        client_config=settings.kafka_config(),
        election=election,
        high_water=high_water,
    )
    store.start()
    peer.start()
    # A worker that exits cleanly leaves the election at once instead of after a timeout
    # (atexit runs in reverse: the listener closes first, then the store).
    atexit.register(store.close)
    atexit.register(peer.stop)
    return store


def _register_misc(app: Flask, store: SchemaStore, settings: RegistrySettings) -> None:
    @app.get("/")
    def root() -> Response:
        return answer({})

    @app.get("/contexts")
    def contexts() -> Response:
        return answer(["."])

    @app.get("/v1/metadata/id")
    def metadata_id() -> Response:
        return answer({"scope": {"path": [], "clusters": {"schema-registry-cluster": "ugc"}}})

    @app.get("/v1/metadata/version")
    def metadata_version() -> Response:
        return answer({"version": API_VERSION, "commitId": "ugc"})

    @app.get("/associations/resources/<path:_rest>")
    def associations(_rest: str) -> Response:
        # confluent-kafka-python 2.14+ probes this before its first produce to a topic.
        return answer([])

    @app.get("/leader")
    def leader() -> Response:
        found = store.leader(refresh=flag("refresh"))
        body = {"leader": found.url, "is_self": found.is_self}
        return answer({**body, "eligible": settings.registry_leader_eligible})

    @app.get("/healthz")
    def healthz() -> Response:
        health = store.health()
        body = {"status": "ok" if health.ready else "unavailable", "store_lag": health.lag}
        body["detail"] = health.detail
        return answer(body, 200 if health.ready else 503)


def _register_guards(app: Flask, settings: RegistrySettings) -> None:
    user = settings.registry_auth_user
    password = settings.registry_auth_password
    expected = None
    if user and password is not None:
        token = f"{user}:{password.get_secret_value()}".encode()
        expected = "Basic " + base64.b64encode(token).decode()

    @app.before_request
    def guard() -> None:
        negotiated_type()
        check_body_type()
        if expected is not None and request.method in _WRITES:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise errors.UnauthorizedError("Unauthorized: writes need valid credentials")


def _register_error_handlers(app: Flask, forwarder: Forwarder) -> None:
    store: SchemaStore = app.extensions["ugc.registry.store"]

    @app.errorhandler(errors.RegistryServerError)
    def domain_error(error: errors.RegistryServerError) -> Response:
        code = error.code
        response = answer({"error_code": code.value, "message": error.message}, code.status)
        if code is ErrorCode.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Basic realm="schema-registry"'
        return response

    @app.errorhandler(errors.NotLeaderError)
    def forward(error: errors.NotLeaderError) -> Response:
        try:
            return forwarder.forward()
        except errors.RegistryServerError as failed:
            return domain_error(failed)

    @app.after_request
    def position(response: Response) -> Response:
        # The follower that forwarded this write makes its instance's reads wait for it.
        if request.headers.get(FORWARDED_HEADER):
            response.headers[POSITION_HEADER] = str(store.position())
        return response

    @app.errorhandler(HTTPException)
    def framework_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = error.description or error.name
        response = answer({"error_code": status, "message": message}, status)
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        code = ErrorCode.STORE_ERROR
        return answer(
            {"error_code": code.value, "message": f"Internal error: {error}"}, code.status
        )
