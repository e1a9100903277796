from __future__ import annotations

from services.console import errors


def _subclasses(cls: type[errors.ConsoleError]) -> list[type[errors.ConsoleError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_error_class_has_its_own_status_in_the_table() -> None:
    classes = {errors.ConsoleError, *_subclasses(errors.ConsoleError)}
    classes = {cls for cls in classes if cls.__module__ == errors.__name__}
    assert classes == set(errors.HTTP_STATUS)


def test_unavailable_errors_are_retriable_and_answer_503() -> None:
    error = errors.KafkaUnavailableError("down")
    assert error.retriable
    assert errors.http_status(error) == 503
    assert errors.http_status(errors.FilterSyntaxError("bad", 3)) == 400
