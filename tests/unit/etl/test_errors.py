"""The poison-vs-fatal decision, made in one place."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from etl.clickhouse import translate
from etl.errors import (
    FatalEtlError,
    Poison,
    Reason,
    RegistryDownError,
    WarehouseDownError,
    WarehouseRejectedError,
    verdict,
)
from etl.mapping import MappingError
from registry.client.errors import DecodeFailure, DeserializationError, RegistryUnavailableError


@pytest.mark.parametrize("failure", list(DecodeFailure))
def test_every_decode_failure_is_poison_with_its_own_reason(failure: DecodeFailure) -> None:
    outcome = verdict(DeserializationError("bad", failure=failure))
    assert outcome == Poison(Reason(failure.value), "bad")


def test_infrastructure_trouble_is_backpressure_never_poison() -> None:
    assert isinstance(verdict(RegistryUnavailableError("down")), RegistryDownError)
    down = WarehouseDownError("down", retry_after=3)
    assert verdict(down) is down


def test_a_schema_without_a_table_shape_and_a_refused_value_are_poison() -> None:
    assert verdict(MappingError("f: no")) == Poison(Reason.UNMAPPABLE, "f: no")
    assert verdict(WarehouseRejectedError("x")) == Poison(Reason.WAREHOUSE_REJECTED, "x")


def test_anything_else_is_fatal() -> None:
    with pytest.raises(FatalEtlError, match="unexpected KeyError"):
        verdict(KeyError("bug"))


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (OperationalError("connection refused"), WarehouseDownError),
        (DatabaseError("Code: 241. DB::Exception: Memory limit exceeded"), WarehouseDownError),
        (
            DatabaseError(
                "Code: 117. DB::Exception: while fetching schema id = 3: Connection refused"
            ),
            WarehouseDownError,
        ),
        (DatabaseError("Code: 117. DB::Exception: Cannot read Avro value"), WarehouseRejectedError),
        (DatabaseError("Code: 376. DB::Exception: Cannot parse UUID"), WarehouseRejectedError),
        (DatabaseError("Code: 60. DB::Exception: Unknown table"), FatalEtlError),
    ],
)
def test_insert_errors_are_translated_once_with_their_retriable_flag(
    error: Exception, kind: type[Exception]
) -> None:
    assert isinstance(translate(error, "insert", insert=True), kind)


def test_an_unknown_error_outside_an_insert_is_fatal() -> None:
    error = DatabaseError("Code: 376. DB::Exception: Cannot parse UUID")
    assert isinstance(translate(error, "query"), FatalEtlError)
