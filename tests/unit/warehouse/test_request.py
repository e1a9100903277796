"""URL parameters sorted as ClickHouse sorts them, and the query text read from URL + body."""

from __future__ import annotations

import io

import pytest

from ugc.warehouse.body import Body
from ugc.warehouse.exceptions import ClickHouseError
from ugc.warehouse.request import QueryText, parse


def test_parameters_split_into_interface_params_query_params_and_settings() -> None:
    request = parse(
        "POST",
        [
            ("query", "SELECT {x:UInt8}"),
            ("database", "ugc"),
            ("query_id", "q1"),
            ("param_x", "7"),
            ("max_execution_time", "5"),
            ("insert_deduplication_token", "t-1"),
            ("user", "etl"),
        ],
    )
    assert (request.query, request.database, request.query_id) == ("SELECT {x:UInt8}", "ugc", "q1")
    assert request.params == {"x": "7"}
    assert request.settings == {"max_execution_time": "5", "insert_deduplication_token": "t-1"}


def test_clickhouse_native_compression_is_refused() -> None:
    with pytest.raises(ClickHouseError) as refused:
        parse("POST", [("decompress", "1")])
    assert refused.value.code == 48


def _text(url_query: str, body: bytes, limit: int = 1000) -> QueryText:
    return QueryText(url_query, Body(io.BytesIO(body), {"content-length": str(len(body))}), limit)


def test_insert_in_the_url_takes_the_whole_body_as_rows() -> None:
    text = _text("INSERT INTO t FORMAT CSV", b"1,a\n")
    statement = text.statement()
    assert b"".join(text.rows(statement)) == b"1,a\n"


def test_query_in_the_url_is_followed_by_the_body() -> None:
    text = _text("SELECT 1", b"+ 1")
    text.statement()
    assert text.head == b"SELECT 1\n+ 1"


def test_query_longer_than_max_query_size_is_refused_unless_it_is_insert_data() -> None:
    with pytest.raises(ClickHouseError) as too_long:
        _text("", b"SELECT " + b"1 + " * 400 + b"1").statement()
    assert too_long.value.code == 62
    text = _text("", b"INSERT INTO t FORMAT CSV\n" + b"1,a\n" * 1000)
    assert b"".join(text.rows(text.statement())) == b"1,a\n" * 1000


def test_empty_query_is_refused() -> None:
    with pytest.raises(ClickHouseError, match="Empty query"):
        _text("", b"  ").statement()
