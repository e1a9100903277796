"""Answers from different stores are normalised the same way and must agree exactly."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import numpy as np
import pytest

from compare.answers import AnswersDisagreeError, cross_check, digest, normalize

FILM = uuid.UUID("8277ff27-214a-417b-9b25-65d1ba61f6f6")


def test_normalize_turns_each_store_s_types_into_plain_values() -> None:
    rows = [(FILM, Decimal("124806472"), 0.148936170212765957, dt.date(2026, 11, 1), np.int64(3))]
    assert normalize("top_films_by_rating", rows) == [
        (str(FILM), 124806472, 0.14893617, "2026-11-01", 3)
    ]


def test_unordered_answers_are_sorted_and_ordered_ones_keep_their_order() -> None:
    rows = [("b", 1), ("a", 2)]
    assert normalize("watch_time_per_film", rows) == [("a", 2), ("b", 1)]
    assert normalize("top_films_by_rating", rows) == rows


def test_stores_that_agree_give_one_digest_per_question() -> None:
    same = {"watch_time_per_film": [("a", 1)], "daily_active_users": [("2026-11-01", 3)]}
    agreed = cross_check({"clickhouse": same, "postgresql": dict(same)})
    assert [(a.query, a.rows, a.stores) for a in agreed] == [
        ("watch_time_per_film", 1, ("clickhouse", "postgresql")),
        ("daily_active_users", 1, ("clickhouse", "postgresql")),
    ]
    assert agreed[0].digest == digest([("a", 1)])


def test_a_different_answer_stops_the_run_naming_the_question_and_the_row() -> None:
    given = {
        "clickhouse": {"watch_time_per_film": [("a", 1), ("b", 2)]},
        "postgresql": {"watch_time_per_film": [("a", 1), ("b", 3)]},
    }
    with pytest.raises(AnswersDisagreeError) as raised:
        cross_check(given)
    message = str(raised.value)
    assert message.startswith("watch_time_per_film: clickhouse gave 2 rows, postgresql gave 2")
    assert "row 1: clickhouse ('b', 2) vs postgresql ('b', 3)" in message


def test_a_missing_answer_is_a_disagreement() -> None:
    with pytest.raises(AnswersDisagreeError, match="duckdb gave no answer"):
        cross_check({"clickhouse": {"q": [("a",)]}, "duckdb": {}})
