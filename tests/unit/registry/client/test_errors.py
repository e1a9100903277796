"""The error table: every error_code maps to its class, and the tree has no orphans."""

from __future__ import annotations

import pytest

from registry.client import errors
from registry.client.errors import (
    ERROR_CODES,
    STATUS_FALLBACKS,
    ErrorCode,
    RegistryError,
    RegistryUnavailableError,
    error_from_response,
)

# Classes that stand for a whole status or for the tree itself, not one error_code.
_GENERIC = {RegistryError, errors.NotFoundError, errors.InvalidRequestError}


def _subclasses(cls: type[RegistryError]) -> set[type[RegistryError]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_registry_error_class_is_reachable_from_a_code_or_status() -> None:
    mapped = set(ERROR_CODES.values()) | set(STATUS_FALLBACKS.values()) | _GENERIC
    missing = _subclasses(RegistryError) - mapped - {RegistryUnavailableError}
    assert not missing, f"add these to ERROR_CODES or STATUS_FALLBACKS: {missing}"


@pytest.mark.parametrize(("code", "cls"), sorted(ERROR_CODES.items()))
def test_error_code_maps_to_its_class(code: int, cls: type[RegistryError]) -> None:
    status = ErrorCode(code).status
    error = error_from_response(status, {"error_code": code, "message": "boom"})
    assert type(error) is cls
    assert (error.status, error.error_code, error.message) == (status, code, "boom")
    assert not error.retriable


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (ErrorCode.UNAUTHORIZED, 401),
        (ErrorCode.INCOMPATIBLE_SCHEMA, 409),
        (ErrorCode.SUBJECT_NOT_FOUND, 404),
        (ErrorCode.INVALID_SUBJECT, 422),
        (ErrorCode.STORE_TIMEOUT, 500),
    ],
)
def test_an_error_code_carries_its_http_status(code: ErrorCode, status: int) -> None:
    assert code.status == status


def test_the_fake_answers_with_the_code_and_status_of_the_class() -> None:
    error = errors.VersionNotFoundError.answer("no version 3")
    assert (error.status, error.error_code, str(error)) == (
        404,
        40402,
        "no version 3 (error_code 40402)",
    )


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retriable_unavailability(status: int) -> None:
    error = error_from_response(status, b'{"error_code": 50001, "message": "store"}')
    assert isinstance(error, RegistryUnavailableError)
    assert error.retriable
    assert error.error_code == 50001


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (404, {"error_code": 404, "message": "HTTP 404 Not Found"}, errors.NotFoundError),
        (422, {"error_code": 42299}, errors.InvalidRequestError),
        (401, "Unauthorized", errors.RegistryAuthError),
        (400, "<html>bad gateway</html>", RegistryError),
        (418, None, RegistryError),
    ],
)
def test_unknown_codes_fall_back_on_the_http_status(
    status: int, body: object, cls: type[RegistryError]
) -> None:
    error = error_from_response(status, body)
    assert type(error) is cls
    assert error.message


def test_a_non_json_body_becomes_the_message() -> None:
    error = error_from_response(502, b"<html>Bad Gateway</html>")
    assert isinstance(error, RegistryUnavailableError)
    assert error.message == "<html>Bad Gateway</html>"
    assert error.error_code is None
