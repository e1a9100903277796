"""The console's domain errors, and the one table that gives each its HTTP status.

    ConsoleError                     message; retriable = False
    ├── NotFoundError                404 (unknown topic, partition, group, subject, page)
    ├── BadInputError                400 (an offset that is not a number, a filter that does
    │   │                                 not parse, a schema that is not JSON, a bad form)
    │   └── FilterSyntaxError            400 (.position: where the expression went wrong)
    ├── LoginRequiredError           401 (a write without a login)
    ├── ForbiddenError               403
    │   ├── ReadOnlyError                403 (writes are off: read-only, or no credentials)
    │   └── CsrfError                    403 (a form without the session's CSRF token)
    ├── MethodNotAllowedError        405
    ├── ConflictError                409 (topic exists, group still has members)
    ├── TooLargeError                413 (a form body over the limit)
    └── UnavailableError             503; retriable = True
        ├── KafkaUnavailableError        503 (the cluster did not answer in time)
        ├── RegistryUnavailableError     503
        └── WarehouseUnavailableError    503

Nothing here knows about Flask: `services.console.app` registers one handler that looks the
class up in `HTTP_STATUS` (walking the class's ancestors) and renders the error page.
"""

from __future__ import annotations

from typing import ClassVar


class ConsoleError(Exception):
    """Base of every error the console answers with an error page."""

    retriable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ConsoleError):
    pass


class BadInputError(ConsoleError):
    pass


class FilterSyntaxError(BadInputError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


class LoginRequiredError(ConsoleError):
    pass


class ForbiddenError(ConsoleError):
    pass


class ReadOnlyError(ForbiddenError):
    pass


class CsrfError(ForbiddenError):
    pass


class MethodNotAllowedError(ConsoleError):
    pass


class ConflictError(ConsoleError):
    pass


class TooLargeError(ConsoleError):
    pass


class UnavailableError(ConsoleError):
    retriable = True


class KafkaUnavailableError(UnavailableError):
    pass


class RegistryUnavailableError(UnavailableError):
    pass


class WarehouseUnavailableError(UnavailableError):
    pass


HTTP_STATUS: dict[type[ConsoleError], int] = {
    ConsoleError: 500,
    NotFoundError: 404,
    BadInputError: 400,
    FilterSyntaxError: 400,
    LoginRequiredError: 401,
    ForbiddenError: 403,
    ReadOnlyError: 403,
    CsrfError: 403,
    MethodNotAllowedError: 405,
    ConflictError: 409,
    TooLargeError: 413,
    UnavailableError: 503,
    KafkaUnavailableError: 503,
    RegistryUnavailableError: 503,
    WarehouseUnavailableError: 503,
}


def http_status(error: ConsoleError) -> int:
    """The status of the nearest class in the table."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    raise AssertionError("ConsoleError is in the table")  # pragma: no cover
