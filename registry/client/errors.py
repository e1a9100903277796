"""Every exception the registry client library raises, and Confluent's error codes: the
`ErrorCode` enum (with the HTTP status each is answered with) is the one vocabulary the
client and `registry.server` share, and `ERROR_CODES` maps a code to the client's class.

Two trees. `RegistryError` is what a registry call can raise, whether the registry is the
HTTP client or the in-memory fake; `SerdesError` is what encoding or decoding a message can
raise. The ETL relies on the split: a `DeserializationError` is the message's fault (poison,
dead-letter it), a `RegistryUnavailableError` is the infrastructure's (block and retry)::

    RegistryError                       status, error_code, message; retriable = False
    ├── NotFoundError                   404, any code below or an unknown 404
    │   ├── SubjectNotFoundError            40401
    │   ├── VersionNotFoundError            40402
    │   ├── SchemaNotFoundError             40403
    │   ├── SubjectSoftDeletedError         40404
    │   ├── SubjectNotSoftDeletedError      40405
    │   ├── VersionSoftDeletedError         40406
    │   ├── VersionNotSoftDeletedError      40407
    │   ├── CompatibilityNotConfiguredError 40408
    │   └── ModeNotConfiguredError          40409
    ├── IncompatibleSchemaError         409
    ├── InvalidRequestError             422, any code below or an unknown 422
    │   ├── InvalidSchemaError              42201
    │   ├── InvalidVersionError             42202
    │   ├── InvalidCompatibilityLevelError  42203
    │   ├── InvalidModeError                42204
    │   ├── OperationNotPermittedError      42205
    │   ├── ReferenceExistsError            42206
    │   └── InvalidSubjectError             42208
    ├── RegistryAuthError               401 / 403
    └── RegistryUnavailableError        connection refused, timeout, any 5xx; retriable = True

    SerdesError
    ├── SerializationError              a record the writer schema cannot encode
    └── DeserializationError            bytes that cannot be decoded; .schema_id, .failure
        └── WireFormatError                 not Confluent-framed at all
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import ClassVar, Self

from registry.client.models import SchemaId


class ErrorCode(enum.IntEnum):
    """Confluent Schema Registry's `error_code`s; `status` is the HTTP status of each."""

    UNAUTHORIZED = 401
    INCOMPATIBLE_SCHEMA = 409
    SUBJECT_NOT_FOUND = 40401
    VERSION_NOT_FOUND = 40402
    SCHEMA_NOT_FOUND = 40403
    SUBJECT_SOFT_DELETED = 40404
    SUBJECT_NOT_SOFT_DELETED = 40405
    VERSION_SOFT_DELETED = 40406
    VERSION_NOT_SOFT_DELETED = 40407
    SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408
    SUBJECT_MODE_NOT_CONFIGURED = 40409
    INVALID_SCHEMA = 42201
    INVALID_VERSION = 42202
    INVALID_COMPATIBILITY_LEVEL = 42203
    INVALID_MODE = 42204
    OPERATION_NOT_PERMITTED = 42205
    REFERENCE_EXISTS = 42206
    INVALID_SUBJECT = 42208
    STORE_ERROR = 50001
    STORE_TIMEOUT = 50002
    FORWARDING_ERROR = 50003
    UNKNOWN_LEADER = 50004

    @property
    def status(self) -> int:
        """A five-digit code starts with its status (40401 → 404); a three-digit one is it."""
        return self.value if self.value < 1000 else self.value // 100


class RegistryError(Exception):
    """A registry call failed. `status` and `error_code` are None when no HTTP answer came."""

    retriable: ClassVar[bool] = False

    def __init__(
        self, message: str, *, status: int | None = None, error_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code

    def __str__(self) -> str:
        if self.error_code is None:
            return self.message
        return f"{self.message} (error_code {self.error_code})"

    @classmethod
    def answer(cls, message: str) -> Self:
        """The error a registry answering `message` with this class's code would give."""
        code = ErrorCode(_CODE_OF[cls])
        return cls(message, status=code.status, error_code=code)


class NotFoundError(RegistryError):
    """The registry has no such subject, version, schema or setting."""


class SubjectNotFoundError(NotFoundError):
    pass


class VersionNotFoundError(NotFoundError):
    pass


class SchemaNotFoundError(NotFoundError):
    pass


class SubjectSoftDeletedError(NotFoundError):
    """A soft delete of a subject that is already soft-deleted."""


class SubjectNotSoftDeletedError(NotFoundError):
    """A permanent delete of a subject that was not soft-deleted first."""


class VersionSoftDeletedError(NotFoundError):
    """A soft delete of a version that is already soft-deleted."""


class VersionNotSoftDeletedError(NotFoundError):
    """A permanent delete of a version that was not soft-deleted first."""


class CompatibilityNotConfiguredError(NotFoundError):
    """The subject has no compatibility level of its own."""


class ModeNotConfiguredError(NotFoundError):
    """The subject has no mode of its own."""


class IncompatibleSchemaError(RegistryError):
    """The schema breaks the subject's compatibility level."""


class InvalidRequestError(RegistryError):
    """The registry refused the request's content (HTTP 422)."""


class InvalidSchemaError(InvalidRequestError):
    pass


class InvalidVersionError(InvalidRequestError):
    pass


class InvalidCompatibilityLevelError(InvalidRequestError):
    pass


class InvalidModeError(InvalidRequestError):
    pass


class OperationNotPermittedError(InvalidRequestError):
    """A write refused by the mode (READONLY), or an explicit id outside IMPORT mode."""


class ReferenceExistsError(InvalidRequestError):
    """A version that a live schema references cannot be deleted."""


class InvalidSubjectError(InvalidRequestError):
    pass


class RegistryAuthError(RegistryError):
    """The registry refused our credentials (401) or our rights (403)."""


class RegistryUnavailableError(RegistryError):
    """No usable answer: connection refused, timeout, or a server-side (5xx) failure."""

    retriable: ClassVar[bool] = True


# The one table from the registry's error_code to our class. Codes 500xx are left out on
# purpose: every 5xx is RegistryUnavailableError whatever its code.
ERROR_CODES: Mapping[int, type[RegistryError]] = {
    ErrorCode.SUBJECT_NOT_FOUND: SubjectNotFoundError,
    ErrorCode.VERSION_NOT_FOUND: VersionNotFoundError,
    ErrorCode.SCHEMA_NOT_FOUND: SchemaNotFoundError,
    ErrorCode.SUBJECT_SOFT_DELETED: SubjectSoftDeletedError,
    ErrorCode.SUBJECT_NOT_SOFT_DELETED: SubjectNotSoftDeletedError,
    ErrorCode.VERSION_SOFT_DELETED: VersionSoftDeletedError,
    ErrorCode.VERSION_NOT_SOFT_DELETED: VersionNotSoftDeletedError,
    ErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED: CompatibilityNotConfiguredError,
    ErrorCode.SUBJECT_MODE_NOT_CONFIGURED: ModeNotConfiguredError,
    ErrorCode.INCOMPATIBLE_SCHEMA: IncompatibleSchemaError,
    ErrorCode.INVALID_SCHEMA: InvalidSchemaError,
    ErrorCode.INVALID_VERSION: InvalidVersionError,
    ErrorCode.INVALID_COMPATIBILITY_LEVEL: InvalidCompatibilityLevelError,
    ErrorCode.INVALID_MODE: InvalidModeError,
    ErrorCode.OPERATION_NOT_PERMITTED: OperationNotPermittedError,
    ErrorCode.REFERENCE_EXISTS: ReferenceExistsError,
    ErrorCode.INVALID_SUBJECT: InvalidSubjectError,
}
_CODE_OF = {cls: code for code, cls in ERROR_CODES.items()}

# Classes that stand for a whole HTTP status rather than one error_code.
STATUS_FALLBACKS: Mapping[int, type[RegistryError]] = {
    401: RegistryAuthError,
    403: RegistryAuthError,
    404: NotFoundError,
    409: IncompatibleSchemaError,
    422: InvalidRequestError,
}


def error_from_response(status: int, body: object) -> RegistryError:
    """The exception for an HTTP error answer; `body` is the parsed JSON, text, or bytes."""
    code, message = _code_and_message(body)
    if status >= 500:
        cls: type[RegistryError] = RegistryUnavailableError
    else:
        cls = ERROR_CODES.get(code or 0) or STATUS_FALLBACKS.get(status, RegistryError)
    return cls(message or f"registry answered HTTP {status}", status=status, error_code=code)


def _code_and_message(body: object) -> tuple[int | None, str]:
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        text = body
        try:
            body = json.loads(text)
        except ValueError:
            # A proxy's HTML page or plain text: keep a short excerpt as the message.
            return None, text.strip()[:200]
    if not isinstance(body, Mapping):
        return None, ""
    code = body.get("error_code")
    message = body.get("message")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else "",
    )


class SerdesError(Exception):
    """Encoding a record or decoding a message failed."""


class SerializationError(SerdesError):
    """The record does not fit the writer schema, or the schema cannot be used."""


class DecodeFailure(enum.StrEnum):
    """Why a message could not be decoded: the reason class a dead letter records."""

    WIRE = "wire"  # not Confluent-framed
    UNKNOWN_SCHEMA = "unknown_schema"  # the frame names an id the registry does not have
    BAD_SCHEMA = "bad_schema"  # the registry's schema text is not usable Avro
    BAD_BODY = "bad_body"  # the body does not decode with its writer schema
    UNRESOLVABLE = "unresolvable"  # the writer schema cannot be resolved to the reader's


class DeserializationError(SerdesError):
    """A message that cannot be decoded whatever we retry: poison for the ETL."""

    def __init__(
        self, reason: str, *, failure: DecodeFailure, schema_id: SchemaId | None = None
    ) -> None:
        where = f"schema id {schema_id}: " if schema_id is not None else ""
        super().__init__(f"{where}{reason}")
        self.reason = reason
        self.failure = failure
        self.schema_id = schema_id


class WireFormatError(DeserializationError):
    """The bytes do not start with the Confluent header."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, failure=DecodeFailure.WIRE)
