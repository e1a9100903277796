from __future__ import annotations

import pytest

from services.api import errors


def _subclasses(cls: type[errors.ApiError]) -> list[type[errors.ApiError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


@pytest.mark.parametrize("cls", [errors.ApiError, *_subclasses(errors.ApiError)])
def test_every_domain_error_class_has_its_own_row_in_the_http_table(
    cls: type[errors.ApiError],
) -> None:
    assert cls in errors.HTTP_ANSWERS


def test_retriable_errors_answer_503_with_retry_after() -> None:
    error = errors.QueueFullError("full", retry_after=3)
    assert errors.http_answer(error) == (503, "queue_full")
    assert error.retriable
    assert error.headers() == {"Retry-After": "3"}


def test_error_body_carries_code_message_and_details() -> None:
    body = errors.error_body(errors.InvalidEventError([{"path": "a", "message": "m"}]))
    assert body == {
        "error": "invalid_event",
        "status": 422,
        "message": "1 problem in the event payload",
        "errors": [{"path": "a", "message": "m"}],
    }
