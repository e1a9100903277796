"""Routing a request by its SQL: insert data boundaries, FORMAT clauses, statement kinds."""

from __future__ import annotations

import pytest

from ugc.warehouse.sql import analyse


@pytest.mark.parametrize(
    ("sql", "statement", "fmt", "data"),
    [
        (b"INSERT INTO t FORMAT CSV\n1,2\n", b"INSERT INTO t", "CSV", b"1,2\n"),
        (b"INSERT INTO t FORMAT CSV   \r\n1,2", b"INSERT INTO t", "CSV", b"1,2"),
        (b"INSERT INTO t FORMAT CSV 1,2", b"INSERT INTO t", "CSV", b"1,2"),
        (b"INSERT INTO t (a, b) VALUES (1, 'x')", b"INSERT INTO t (a, b)", "Values", b" (1, 'x')"),
        (
            b"insert into t settings x = 'FORMAT CSV' format JSONEachRow\n{}",
            b"insert into t settings x = 'FORMAT CSV'",
            "JSONEachRow",
            b"{}",
        ),
        (
            b"INSERT INTO t /* FORMAT CSV */ FORMAT TSV\n\x00\n",
            b"INSERT INTO t /* FORMAT CSV */",
            "TSV",
            b"\x00\n",
        ),
        (b"INSERT INTO t FORMAT RowBinary\n\n\x01", b"INSERT INTO t", "RowBinary", b"\n\x01"),
    ],
)
def test_insert_data_starts_where_clickhouse_starts_it(
    sql: bytes, statement: bytes, fmt: str, data: bytes
) -> None:
    found = analyse(sql).insert
    assert found is not None
    assert (found.statement, found.format, sql[found.data_start :]) == (statement, fmt, data)


def test_insert_select_has_no_inline_data() -> None:
    assert analyse(b"INSERT INTO t SELECT * FROM s FORMAT Native").insert is None


@pytest.mark.parametrize(
    ("sql", "fmt"),
    [
        (b"SELECT 1 FORMAT JSON", "JSON"),
        (b"SELECT 1 FORMAT TSV SETTINGS max_threads = 1", "TSV"),
        (b"SELECT 1 FORMAT Native;", "Native"),
        (b"SELECT format('{}', 1) AS format FROM t", None),
        (b"SELECT (SELECT 1 FORMAT JSON)", None),
        (b"SELECT 'FORMAT JSON'", None),
    ],
)
def test_output_format_is_the_top_level_trailing_clause(sql: bytes, fmt: str | None) -> None:
    assert analyse(sql).output_format == fmt


@pytest.mark.parametrize(
    ("sql", "kind"),
    [(b"-- note\n/* x */ select 1", "SELECT"), (b"  use db", "USE"), (b"SET a = 1", "SET")],
)
def test_kind_is_the_first_keyword_after_comments(sql: bytes, kind: str) -> None:
    assert analyse(sql).kind == kind


def test_multiple_statements_are_detected_but_a_trailing_semicolon_is_fine() -> None:
    assert analyse(b"SELECT 1; SELECT 2").multiple
    assert not analyse(b"SELECT 1;  ").multiple
    assert not analyse(b"SELECT ';'").multiple


def test_client_side_file_clauses_are_flagged() -> None:
    assert analyse(b"SELECT 1 INTO OUTFILE 'x'").outfile
    assert analyse(b"INSERT INTO t FROM INFILE 'x' FORMAT CSV").outfile


def test_unterminated_string_is_left_for_chdb_to_report() -> None:
    statement = analyse(b"SELECT 'oops")
    assert statement.kind == "SELECT" and statement.insert is None
