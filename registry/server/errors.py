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

Each class carries its code (`code`); nothing here knows about Flask, and
`registry.server.app` registers one handler that answers with it.
"""

from __future__ import annotations

from typing import ClassVar

from registry.client.errors import ErrorCode


class RegistryServerError(Exception):
    """Base of every error the registry answers with a JSON error body: `code` is its
    Confluent error code (whose `status` is the HTTP status)."""

    code: ClassVar[ErrorCode] = ErrorCode.STORE_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(RegistryServerError):
    pass


class SubjectNotFoundError(NotFoundError):
    code = ErrorCode.SUBJECT_NOT_FOUND


class VersionNotFoundError(NotFoundError):
    code = ErrorCode.VERSION_NOT_FOUND


class SchemaNotFoundError(NotFoundError):
    code = ErrorCode.SCHEMA_NOT_FOUND


class SubjectSoftDeletedError(NotFoundError):
    code = ErrorCode.SUBJECT_SOFT_DELETED


class SubjectNotSoftDeletedError(NotFoundError):
    code = ErrorCode.SUBJECT_NOT_SOFT_DELETED


class VersionSoftDeletedError(NotFoundError):
    code = ErrorCode.VERSION_SOFT_DELETED


class VersionNotSoftDeletedError(NotFoundError):
    code = ErrorCode.VERSION_NOT_SOFT_DELETED


class SubjectLevelCompatibilityNotFoundError(NotFoundError):
    code = ErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED


class SubjectLevelModeNotFoundError(NotFoundError):
    code = ErrorCode.SUBJECT_MODE_NOT_CONFIGURED


class IncompatibleSchemaError(RegistryServerError):
    code = ErrorCode.INCOMPATIBLE_SCHEMA

    def __init__(self, message: str, messages: list[str]) -> None:
        super().__init__(message)
        self.messages = messages


class UnprocessableError(RegistryServerError):
    pass


class InvalidSchemaError(UnprocessableError):
    code = ErrorCode.INVALID_SCHEMA


class InvalidVersionError(UnprocessableError):
    code = ErrorCode.INVALID_VERSION


class InvalidCompatibilityLevelError(UnprocessableError):
    code = ErrorCode.INVALID_COMPATIBILITY_LEVEL


class InvalidModeError(UnprocessableError):
    code = ErrorCode.INVALID_MODE


class OperationNotPermittedError(UnprocessableError):
    code = ErrorCode.OPERATION_NOT_PERMITTED


class ReferenceExistsError(UnprocessableError):
    code = ErrorCode.REFERENCE_EXISTS


class InvalidSubjectError(UnprocessableError):
    code = ErrorCode.INVALID_SUBJECT


class UnauthorizedError(RegistryServerError):
    code = ErrorCode.UNAUTHORIZED


class StoreError(RegistryServerError):
    code = ErrorCode.STORE_ERROR


class StoreTimeoutError(StoreError):
    code = ErrorCode.STORE_TIMEOUT


class ForwardingError(StoreError):
    """A follower could not get a write through to the leader."""

    code = ErrorCode.FORWARDING_ERROR


class LeaderUnknownError(StoreError):
    """No registry process leads (an election is under way, or none is eligible)."""

    code = ErrorCode.UNKNOWN_LEADER


class NotLeaderError(LeaderUnknownError):
    """This process may not write; the request belongs to the leader."""
