"""What can go wrong in the ETL, and the one place that decides what each failure means.

```
EtlError
├── BackpressureError            infrastructure cannot take it now: pause, seek back, retry later
│   ├── RegistryDownError        the registry did not answer (schema fetch)
│   ├── WarehouseDownError       ClickHouse unreachable, overloaded or timed out
│   └── DeadLetterDownError      Kafka refused the dead-letter records
├── WarehouseRejectedError       ClickHouse refused the data of an insert (isolate the poison)
└── FatalEtlError           a bug or a misconfiguration: stop; committed offsets keep everything
```

`verdict(exc)` is the poison-vs-fatal decision: a message-level failure (undecodable frame,
unknown schema id, a schema that does not map, a value ClickHouse refuses) is `Poison`
with its `Reason`, which becomes one dead letter; `BackpressureError` is never poison; anything
else is fatal. Nothing else in the ETL classifies exceptions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from etl.mapping import MappingError
from registry.client.errors import DeserializationError, RegistryUnavailableError


class Reason(enum.StrEnum):
    """The reason class a dead letter records."""

    WIRE = "wire"  # not Confluent-framed
    UNKNOWN_SCHEMA = "unknown_schema"  # the registry has no schema with the frame's id
    BAD_SCHEMA = "bad_schema"  # the registry's schema text is not usable Avro
    BAD_BODY = "bad_body"  # the body does not decode with its writer schema
    UNRESOLVABLE = "unresolvable"  # the writer cannot be resolved to the reader
    UNMAPPABLE = "unmappable"  # the writer schema has no ClickHouse table shape
    WAREHOUSE_REJECTED = "warehouse_rejected"  # ClickHouse refused the value


class EtlError(Exception):
    """Base of the ETL's own errors."""


class BackpressureError(EtlError):
    """Retry the same messages after `retry_after` seconds; never a dead letter."""

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RegistryDownError(BackpressureError):
    pass


class WarehouseDownError(BackpressureError):
    pass


class DeadLetterDownError(BackpressureError):
    pass


class WarehouseRejectedError(EtlError):
    """ClickHouse refused an insert because of its data (parse error, bad value)."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class FatalEtlError(EtlError):
    """Stop the process: continuing could lose or corrupt data."""


@dataclass(frozen=True)
class Poison:
    reason: Reason
    error: str


def verdict(exc: BaseException) -> Poison | BackpressureError:
    """Poison for a message-level failure, BackpressureError for infrastructure trouble;
    FatalEtlError (raised from `exc`) for anything else."""
    if isinstance(exc, BackpressureError):
        return exc
    if isinstance(exc, RegistryUnavailableError):
        return RegistryDownError(str(exc))
    if isinstance(exc, DeserializationError):
        return Poison(Reason(exc.failure.value), str(exc))
    if isinstance(exc, MappingError):
        return Poison(Reason.UNMAPPABLE, str(exc))
    if isinstance(exc, WarehouseRejectedError):
        return Poison(Reason.WAREHOUSE_REJECTED, str(exc))
    raise FatalEtlError(f"unexpected {type(exc).__name__}: {exc}") from exc
