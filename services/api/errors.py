"""The ingest API's domain errors, and the one table that gives each its HTTP answer.

    ApiError                          message, retry_after; retriable = False
    ├── MalformedRequestError         400 malformed_request (body is not JSON, bad header)
    ├── AuthenticationError           401 unauthenticated (missing, expired, forged token)
    ├── UnknownEventTypeError         404 unknown_event_type (.known lists the types)
    ├── NotFoundError                 404 not_found (no such route)
    ├── MethodNotAllowedError         405 method_not_allowed
    ├── PayloadTooLargeError          413 payload_too_large
    ├── UnsupportedMediaTypeError     415 unsupported_media_type
    ├── InvalidEventError             422 invalid_event (.errors: every problem, by path)
    ├── RateLimitedError              429 rate_limited (.retry_after)
    ├── ProduceRejectedError          500 produce_rejected (Kafka refused for good)
    └── UnavailableError              503 unavailable (.retry_after); retriable = True
        ├── KafkaUnavailableError         503 kafka_unavailable
        │   └── QueueFullError                503 queue_full
        └── RegistryDownError             503 registry_unavailable

Nothing here knows about Flask: `services.api.app` registers one handler that looks the
class up in `HTTP_ANSWERS` (walking the class's ancestors), and `ErrorBody` is the JSON.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """Base of every error the API answers with a JSON error body."""

    retriable: ClassVar[bool] = False

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = None if retry_after is None else max(1, retry_after)

    def details(self) -> dict[str, Any]:
        """Extra members of the JSON error body."""
        return {}

    def headers(self) -> dict[str, str]:
        """Extra HTTP headers of the answer."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class MalformedRequestError(ApiError):
    pass


class AuthenticationError(ApiError):
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="ugc"'}


class UnknownEventTypeError(ApiError):
    def __init__(self, event_type: str, known: list[str]) -> None:
        listed = ", ".join(known) or "none are registered"
        super().__init__(f"unknown event type {event_type!r}; known types: {listed}")
        self.known = known

    def details(self) -> dict[str, Any]:
        return {"known_event_types": self.known}


class NotFoundError(ApiError):
    pass


class MethodNotAllowedError(ApiError):
    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)} if self.allowed else {}


class PayloadTooLargeError(ApiError):
    pass


class UnsupportedMediaTypeError(ApiError):
    pass


class InvalidEventError(ApiError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        count = len(errors)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the event payload")
        self.errors = errors

    def details(self) -> dict[str, Any]:
        return {"errors": self.errors}


class RateLimitedError(ApiError):
    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message, retry_after=retry_after)


class ProduceRejectedError(ApiError):
    pass


class UnavailableError(ApiError):
    retriable = True

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message, retry_after=retry_after)


class KafkaUnavailableError(UnavailableError):
    pass


class QueueFullError(KafkaUnavailableError):
    pass


class RegistryDownError(UnavailableError):
    pass


HTTP_ANSWERS: dict[type[ApiError], tuple[int, str]] = {
    ApiError: (500, "internal_error"),
    MalformedRequestError: (400, "malformed_request"),
    AuthenticationError: (401, "unauthenticated"),
    UnknownEventTypeError: (404, "unknown_event_type"),
    NotFoundError: (404, "not_found"),
    MethodNotAllowedError: (405, "method_not_allowed"),
    PayloadTooLargeError: (413, "payload_too_large"),
    UnsupportedMediaTypeError: (415, "unsupported_media_type"),
    InvalidEventError: (422, "invalid_event"),
    RateLimitedError: (429, "rate_limited"),
    ProduceRejectedError: (500, "produce_rejected"),
    UnavailableError: (503, "unavailable"),
    KafkaUnavailableError: (503, "kafka_unavailable"),
    QueueFullError: (503, "queue_full"),
    RegistryDownError: (503, "registry_unavailable"),
}


def http_answer(error: ApiError) -> tuple[int, str]:
    """(status, error code) of the nearest class in the table."""
    for cls in type(error).__mro__:
        if cls in HTTP_ANSWERS:
            return HTTP_ANSWERS[cls]
    raise AssertionError("ApiError is in the table")  # pragma: no cover


def error_body(error: ApiError) -> dict[str, Any]:
    status, code = http_answer(error)
    return {"error": code, "status": status, "message": error.message, **error.details()}
