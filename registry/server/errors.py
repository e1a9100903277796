"""The registry's domain errors, and the one table that gives each its HTTP answer.

    RegistryServerError
    ├── NotFoundError
    │   ├── SubjectNotFoundError             404 40401
    │   ├── VersionNotFoundError             404 40402
    │   ├── SchemaNotFoundError              404 40403
    │   ├── SubjectSoftDeletedError          404 40404
    │   ├── SubjectNotSoftDeletedError       404 40405
    │   ├── VersionSoftDeletedError          404 40406
    │   ├── VersionNotSoftDeletedError       404 40407
    │   ├── SubjectLevelCompatibilityNotFoundError 404 40408
    │   └── SubjectLevelModeNotFoundError    404 40409
    ├── IncompatibleSchemaError              409 409
    ├── UnprocessableError
    │   ├── InvalidSchemaError               422 42201
    │   ├── InvalidVersionError              422 42202
    │   ├── InvalidCompatibilityLevelError   422 42203
    │   ├── InvalidModeError                 422 42204
    │   ├── OperationNotPermittedError       422 42205
    │   ├── ReferenceExistsError             422 42206
    │   └── InvalidSubjectError              422 42208
    ├── UnauthorizedError                    401 401
    └── StoreError                           500 50001
        └── StoreTimeoutError                500 50002

Nothing here knows about Flask; `registry.server.app` registers one handler that looks the
class up in `HTTP_ANSWERS`.
"""

from __future__ import annotations


class RegistryServerError(Exception):
    """Base of every error the registry answers with a JSON error body."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(RegistryServerError):
    pass


class SubjectNotFoundError(NotFoundError):
    pass


class VersionNotFoundError(NotFoundError):
    pass


class SchemaNotFoundError(NotFoundError):
    pass


class SubjectSoftDeletedError(NotFoundError):
    pass


class SubjectNotSoftDeletedError(NotFoundError):
    pass


class VersionSoftDeletedError(NotFoundError):
    pass


class VersionNotSoftDeletedError(NotFoundError):
    pass


class SubjectLevelCompatibilityNotFoundError(NotFoundError):
    pass


class SubjectLevelModeNotFoundError(NotFoundError):
    pass


class IncompatibleSchemaError(RegistryServerError):
    def __init__(self, message: str, messages: list[str]) -> None:
        super().__init__(message)
        self.messages = messages


class UnprocessableError(RegistryServerError):
    pass


class InvalidSchemaError(UnprocessableError):
    pass


class InvalidVersionError(UnprocessableError):
    pass


class InvalidCompatibilityLevelError(UnprocessableError):
    pass


class InvalidModeError(UnprocessableError):
    pass


class OperationNotPermittedError(UnprocessableError):
    pass


class ReferenceExistsError(UnprocessableError):
    pass


class InvalidSubjectError(UnprocessableError):
    pass


class UnauthorizedError(RegistryServerError):
    pass


class StoreError(RegistryServerError):
    pass


class StoreTimeoutError(StoreError):
    pass


HTTP_ANSWERS: dict[type[RegistryServerError], tuple[int, int]] = {
    SubjectNotFoundError: (404, 40401),
    VersionNotFoundError: (404, 40402),
    SchemaNotFoundError: (404, 40403),
    SubjectSoftDeletedError: (404, 40404),
    SubjectNotSoftDeletedError: (404, 40405),
    VersionSoftDeletedError: (404, 40406),
    VersionNotSoftDeletedError: (404, 40407),
    SubjectLevelCompatibilityNotFoundError: (404, 40408),
    SubjectLevelModeNotFoundError: (404, 40409),
    IncompatibleSchemaError: (409, 409),
    InvalidSchemaError: (422, 42201),
    InvalidVersionError: (422, 42202),
    InvalidCompatibilityLevelError: (422, 42203),
    InvalidModeError: (422, 42204),
    OperationNotPermittedError: (422, 42205),
    ReferenceExistsError: (422, 42206),
    InvalidSubjectError: (422, 42208),
    UnauthorizedError: (401, 401),
    StoreError: (500, 50001),
    StoreTimeoutError: (500, 50002),
}


def http_answer(error: RegistryServerError) -> tuple[int, int]:
    """(HTTP status, error_code) for an error, from its most specific listed class."""
    for cls in type(error).__mro__:
        if cls in HTTP_ANSWERS:
            return HTTP_ANSWERS[cls]
    return 500, 50001
