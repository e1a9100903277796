"""The registry's domain errors, and the one table that gives each its Confluent error code
(`registry.client.errors.ErrorCode`, shared with the client, carries the HTTP status).

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
        ├── StoreTimeoutError                500 50002
        ├── ForwardingError                  500 50003
        └── LeaderUnknownError               500 50004
            └── NotLeaderError               500 50004 (the app forwards the request instead)

Nothing here knows about Flask; `registry.server.app` registers one handler that looks the
class up in `HTTP_ANSWERS`.
"""

from __future__ import annotations

from registry.client.errors import ErrorCode


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


class ForwardingError(StoreError):
    """A follower could not get a write through to the leader."""


class LeaderUnknownError(StoreError):
    """No registry process leads (an election is under way, or none is eligible)."""


class NotLeaderError(LeaderUnknownError):
    """This process may not write; the request belongs to the leader."""


HTTP_ANSWERS: dict[type[RegistryServerError], ErrorCode] = {
    SubjectNotFoundError: ErrorCode.SUBJECT_NOT_FOUND,
    VersionNotFoundError: ErrorCode.VERSION_NOT_FOUND,
    SchemaNotFoundError: ErrorCode.SCHEMA_NOT_FOUND,
    SubjectSoftDeletedError: ErrorCode.SUBJECT_SOFT_DELETED,
    SubjectNotSoftDeletedError: ErrorCode.SUBJECT_NOT_SOFT_DELETED,
    VersionSoftDeletedError: ErrorCode.VERSION_SOFT_DELETED,
    VersionNotSoftDeletedError: ErrorCode.VERSION_NOT_SOFT_DELETED,
    SubjectLevelCompatibilityNotFoundError: ErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
    SubjectLevelModeNotFoundError: ErrorCode.SUBJECT_MODE_NOT_CONFIGURED,
    IncompatibleSchemaError: ErrorCode.INCOMPATIBLE_SCHEMA,
    InvalidSchemaError: ErrorCode.INVALID_SCHEMA,
    InvalidVersionError: ErrorCode.INVALID_VERSION,
    InvalidCompatibilityLevelError: ErrorCode.INVALID_COMPATIBILITY_LEVEL,
    InvalidModeError: ErrorCode.INVALID_MODE,
    OperationNotPermittedError: ErrorCode.OPERATION_NOT_PERMITTED,
    ReferenceExistsError: ErrorCode.REFERENCE_EXISTS,
    InvalidSubjectError: ErrorCode.INVALID_SUBJECT,
    UnauthorizedError: ErrorCode.UNAUTHORIZED,
    StoreError: ErrorCode.STORE_ERROR,
    StoreTimeoutError: ErrorCode.STORE_TIMEOUT,
    ForwardingError: ErrorCode.FORWARDING_ERROR,
    LeaderUnknownError: ErrorCode.UNKNOWN_LEADER,
    NotLeaderError: ErrorCode.UNKNOWN_LEADER,
}


def http_answer(error: RegistryServerError) -> ErrorCode:
    """The error_code of an error (its `status` is the HTTP status); a class left out of
    the table, which a test forbids, answers as a store error."""
    return HTTP_ANSWERS.get(type(error), ErrorCode.STORE_ERROR)
