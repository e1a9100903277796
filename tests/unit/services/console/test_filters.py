from __future__ import annotations

from typing import Any

import pytest

from services.console.errors import FilterSyntaxError
from services.console.filters import MessageFilter, parse_predicate

EVENT: dict[str, Any] = {
    "score": 7,
    "ratio": 0.5,
    "comment": "no spoilers here",
    "note": None,
    "flag": True,
    "context": {"platform": "web", "locale": "ru-RU"},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("score == 7", True),
        ("score != 7", False),
        ("score >= 7 and score < 8", True),
        ("score > 7 or ratio <= 0.5", True),
        ("not score > 7", True),
        ('context.platform == "web"', True),
        ("context.platform == 'web'", True),
        ('context.locale ~ "ru"', True),
        ('comment ~ "spoiler" and not (context.platform == "ios")', True),
        ("note", False),
        ("comment", True),
        ("missing == 1", False),
        ("missing != 1", True),
        ("context.missing.deeper == 1", False),
        ("flag == true", True),
        ("note == null", True),
        ('score > "a"', False),
        ("flag > 0", False),
        ("score == 7e0", True),
    ],
)
def test_predicate_evaluates_against_the_decoded_value(expression: str, expected: bool) -> None:
    assert parse_predicate(expression)(EVENT) is expected


@pytest.mark.parametrize(
    ("expression", "message", "position"),
    [
        ("score >=", "expected a number, text, true, false or null, found the end", 8),
        ("score >= 4 and", "expected a field name, found the end", 14),
        ("(score > 1", "expected ')'", 10),
        ("score = 4", "unexpected character '='", 6),
        ("score > 4 4", "unexpected '4'", 10),
        ('comment ~ "\\q"', "bad escape in text", 10),
        ("  ", "the expression is empty", 0),
        ("score > 1 )", "unexpected ')'", 10),
    ],
)
def test_a_bad_expression_says_what_went_wrong_and_where(
    expression: str, message: str, position: int
) -> None:
    with pytest.raises(FilterSyntaxError) as raised:
        parse_predicate(expression)
    assert raised.value.position == position
    assert message in raised.value.message


def test_a_filter_refuses_a_bad_expression_before_reading_anything() -> None:
    with pytest.raises(FilterSyntaxError):
        MessageFilter(where="score >>")


def test_key_text_and_predicate_must_all_match() -> None:
    matches = MessageFilter(key="user-1", text="spoil", where="score > 5").matcher()
    assert matches("user-12", '{"comment": "spoilers"}', EVENT)
    assert not matches("user-2", '{"comment": "spoilers"}', EVENT)
    assert not matches("user-12", "{}", EVENT)
    assert not matches("user-12", '{"comment": "spoilers"}', {"score": 1})
    assert not matches("user-12", "spoil", None)


def test_an_empty_filter_is_inactive_and_matches_everything() -> None:
    empty = MessageFilter()
    assert not empty.active
    assert empty.matcher()("", "", None)
