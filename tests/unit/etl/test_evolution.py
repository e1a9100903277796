"""The evolution decision: extend the table or open the next version (pure, no warehouse)."""

from __future__ import annotations

import pytest

from etl.evolution import AddColumn, ExistingColumn, ModifyColumn, TableState, absorb, plan
from etl.mapping import Column

ENUM = "Enum8('web' = 1, 'ios' = 2)"


def col(name: str, kind: str, default: str | None = None) -> Column:
    return Column(name, kind, default, (name,))


def table(*columns: Column, version: int = 1) -> TableState:
    existing = [ExistingColumn(c.name, c.type, c.default is not None) for c in columns]
    existing.append(ExistingColumn("_offset", "UInt64", False))
    return TableState(f"rating_v{version}", version, tuple(existing))


BASE = (col("event_id", "UUID"), col("score", "Int32"), col("comment", "String", "''"))


def test_the_first_writer_creates_v1() -> None:
    decided = plan("rating", None, BASE)
    assert (decided.table, decided.create) == ("rating_v1", BASE)


def test_the_same_writer_again_needs_no_change() -> None:
    decided = plan("rating", table(*BASE), BASE)
    assert (decided.table, decided.create, decided.alters) == ("rating_v1", None, ())


def test_a_new_field_with_a_default_is_added_with_that_default() -> None:
    device = col("device", "Nullable(String)", "NULL")
    decided = plan("rating", table(*BASE), (*BASE, device))
    assert decided.alters == (AddColumn(device),)
    assert decided.table == "rating_v1"


def test_int_promoted_to_long_widens_the_column() -> None:
    writer = (BASE[0], col("score", "Int64"), BASE[2])
    assert plan("rating", table(*BASE), writer).alters == (ModifyColumn("score", "Int64"),)


def test_an_added_enum_symbol_extends_the_enum_keeping_its_values() -> None:
    writer = (col("platform", "Enum8('ios' = 1, 'web' = 2, 'tv' = 3)"),)
    decided = plan("rating", table(col("platform", ENUM)), writer)
    assert decided.alters == (ModifyColumn("platform", "Enum8('web' = 1, 'ios' = 2, 'tv' = 3)"),)


def test_a_removed_field_that_had_a_default_is_left_to_its_default() -> None:
    decided = plan("rating", table(*BASE), BASE[:2])
    assert (decided.table, decided.alters, decided.create) == ("rating_v1", (), None)


@pytest.mark.parametrize(
    ("writer", "reason"),
    [
        ((BASE[0], col("score", "String"), BASE[2]), "column Int32 cannot take String"),
        ((BASE[0], BASE[2]), "'score' is missing and its column has no default"),
        ((*BASE, col("weight", "Float64")), "new field 'weight' has no default"),
    ],
)
def test_a_writer_the_table_cannot_absorb_opens_the_next_version(
    writer: tuple[Column, ...], reason: str
) -> None:
    decided = plan("rating", table(*BASE, version=3), writer)
    assert (decided.table, decided.version, decided.create) == ("rating_v4", 4, writer)
    assert any(reason in r for r in decided.reasons), decided.reasons


@pytest.mark.parametrize(
    ("column", "writer", "wanted"),
    [
        ("Int64", "Int32", "Int64"),
        ("Int32", "Float64", "Float64"),
        ("Float32", "Float64", "Float64"),
        ("Nullable(Int32)", "Int32", "Nullable(Int32)"),
        ("Int32", "Nullable(Int32)", "Nullable(Int32)"),
        ("Array(Int32)", "Array(Int64)", "Array(Int64)"),
        ("Nullable(Int32)", "Nullable(Int64)", "Nullable(Int64)"),
        ("String", "Int32", None),
        ("UUID", "String", None),
        ("Int64", "Float32", "Float64"),
        ("Enum8('a' = 1)", "String", None),
    ],
)
def test_absorb_answers_the_type_that_takes_both(
    column: str, writer: str, wanted: str | None
) -> None:
    assert absorb(column, writer) == wanted
