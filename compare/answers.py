"""The stores must agree before anything is timed: answers normalised, compared, digested.

Each store returns its own Python types (UUID objects, Decimal sums, dates); `normalize`
turns a result into plain tuples (UUIDs and dates as text, integral numbers as int, floats
rounded to 9 decimals) and sorts it unless the query's order is part of its answer.
`cross_check` compares every store's answer with the first store's and raises
`AnswersDisagreeError` naming the query, the stores and the first differing row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ugc.errors import UgcError

ORDERED = frozenset({"daily_active_users", "top_films_by_rating", "player_reads"})
Rows = list[tuple[Any, ...]]


class AnswersDisagreeError(UgcError):
    """Two stores gave different answers to the same question."""


@dataclass(frozen=True)
class Agreement:
    """One question every store answered the same way."""

    query: str
    rows: int
    digest: str
    stores: tuple[str, ...]


def _value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else round(float(value), 9)
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 9)
    if hasattr(value, "item"):  # numpy scalars
        return _value(value.item())
    return value


def normalize(query: str, rows: Rows) -> Rows:
    plain = [tuple(_value(v) for v in row) for row in rows]
    return plain if query in ORDERED else sorted(plain, key=repr)


def digest(rows: Rows) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def cross_check(answers: dict[str, dict[str, Rows]]) -> list[Agreement]:
    """Compare normalised answers, {store: {query: rows}}; every store must answer every query."""
    if not answers:
        return []
    stores = list(answers)
    reference = stores[0]
    agreed = []
    for query, expected in answers[reference].items():
        for store in stores[1:]:
            got = answers[store].get(query)
            if got != expected:
                raise AnswersDisagreeError(_describe(query, reference, expected, store, got))
        agreed.append(Agreement(query, len(expected), digest(expected), tuple(stores)))
    return agreed


def _describe(query: str, left: str, expected: Rows, right: str, got: Rows | None) -> str:
    if got is None:
        return f"{query}: {right} gave no answer, {left} gave {len(expected)} rows"
    head = f"{query}: {left} gave {len(expected)} rows, {right} gave {len(got)}"
    for index, (a, b) in enumerate(zip(expected, got, strict=False)):
        if a != b:
            return f"{head}; first difference at row {index}: {left} {a!r} vs {right} {b!r}"
    return f"{head}; one is a prefix of the other"
