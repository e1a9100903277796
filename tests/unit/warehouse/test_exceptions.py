"""ClickHouse errors: recovered from chdb's messages, answered with ClickHouse's statuses."""

from __future__ import annotations

import pytest

from ugc.warehouse.exceptions import ClickHouseError, Code, from_chdb, raised


def test_chdb_message_keeps_code_name_and_text() -> None:
    error = from_chdb(
        RuntimeError(
            "Streaming query failed: Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE) "
            "(version 26.9.2.1)"
        )
    )
    assert (error.code, error.name, error.status) == (60, "UNKNOWN_TABLE", 404)
    assert error.body() == (
        "Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE) (version 26.9.2.1)\n"
    )


def test_message_without_a_code_is_an_unknown_exception() -> None:
    error = from_chdb(RuntimeError("segfault-ish"))
    assert (error.code, error.status) == (1002, 500)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("SYNTAX_ERROR", 400),
        ("CANNOT_PARSE_INPUT_ASSERTION_FAILED", 400),
        ("UNKNOWN_SETTING", 404),
        ("AUTHENTICATION_FAILED", 403),
        ("REQUIRED_PASSWORD", 401),
        ("TIMEOUT_EXCEEDED", 408),
        ("NOT_IMPLEMENTED", 501),
        ("READONLY", 500),
    ],
)
def test_status_follows_clickhouses_table(name: str, status: int) -> None:
    assert ClickHouseError(1, name, "x").status == status


def test_raised_errors_read_like_clickhouses() -> None:
    error = raised(Code.SESSION_IS_LOCKED, "Session s is locked by a concurrent client.")
    assert str(error) == (
        "Code: 373. DB::Exception: Session s is locked by a concurrent client. (SESSION_IS_LOCKED)"
    )
