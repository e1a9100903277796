"""The console's pages, one blueprint per resource; handlers parse, call a service, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from services.console.errors import BadInputError

if TYPE_CHECKING:
    from services.console.app import Console


def console() -> Console:
    found: Console = current_app.extensions["ugc.console"]
    return found


def int_arg(
    value: str | None,
    name: str,
    *,
    default: int | None = None,
    low: int = 0,
    high: int | None = None,
) -> int:
    """A whole number from a query or form value, or BadInputError naming the parameter."""
    if value is None or value.strip() == "":
        if default is None:
            raise BadInputError(f"{name} is required")
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise BadInputError(f"{name} must be a whole number, got {value[:40]!r}") from None
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadInputError(f"{name} must be {bound}, got {number}")
    return number
