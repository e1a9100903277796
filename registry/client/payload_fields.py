"""The marshmallow fields of the payload mapping (`registry.client.payload`): one per Avro
type, each reading the strict JSON form that module's docstring describes and refusing
anything else with a message that names what was expected and what came. Each subclasses
the marshmallow field apispec knows, so OpenAPI gets the right type, and replaces its
lenient coercion with the strict reading: `"1"` is not an int and `1` is not a boolean,
timestamps carry a timezone, bytes and fixed are base64.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import ValidationError, fields

from registry.client.avro.names import json_type
from registry.client.avro.types import EPOCH, EPOCH_DATE, FLOAT32_MAX

# RFC 4122's text form, in either letter case; braces, `urn:uuid:` and bare hex are refused.
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# RFC 3339's `date-time` and `full-date` (section 5.6), which OpenAPI's formats name; Python's
# fromisoformat also reads other ISO 8601 forms (week dates, no seconds, a space), refused here.
_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:[0-5]\d)")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A str from JSON holds a surrogate only when the text escaped one alone (`"\ud800"`): it has
# no UTF-8 form, so Avro cannot write it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_text(value: Any) -> bool:
    """A str Avro can write: one with no lone surrogate."""
    return type(value) is str and (value.isascii() or _SURROGATE.search(value) is None)


class AvroString(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(f"expected string, got {json_type(value)}")
        if not is_text(value):
            raise ValidationError("the string holds a lone UTF-16 surrogate, which is not text")
        return value


class AvroUuid(AvroString):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if UUID_TEXT.fullmatch(text) is None:
            raise ValidationError(f"expected a UUID, got {text!r}")
        return text.lower()


class AvroEnum(AvroString):
    def __init__(self, symbols: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.symbols = symbols
        self.metadata = {**self.metadata, "enum": symbols}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in self.symbols:
            raise ValidationError(f"{text!r} is not one of {', '.join(self.symbols)}")
        return text


class AvroInt(fields.Integer):
    def __init__(self, bits: int, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)
        self.bits = bits
        self.low, self.high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        self.metadata = {**self.metadata, "format": f"int{bits}"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"expected integer, got {json_type(value)}")
        low, high = self.low, self.high
        if not low <= value <= high:
            raise ValidationError(f"{value} is out of the {self.bits}-bit range {low}..{high}")
        return value


class AvroFloat(fields.Float):
    def __init__(self, single: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.single = single

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"expected number, got {json_type(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer past the largest double
            raise ValidationError("the integer is out of the range of a 64-bit float") from None
        if not math.isfinite(number):
            raise ValidationError("expected a finite number")
        if self.single and abs(number) > FLOAT32_MAX:
            raise ValidationError(f"{value} is out of the range of a 32-bit float")
        return number


class AvroBoolean(fields.Boolean):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"expected boolean, got {json_type(value)}")
        return value


class AvroBytes(fields.Field[bytes]):
    def __init__(self, size: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size
        self.metadata = {**self.metadata, "type": "string", "format": "byte"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        if not isinstance(value, str):
            raise ValidationError(f"expected base64 string, got {json_type(value)}")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("expected base64 string, got text that is not base64") from None
        if self.size is not None and len(raw) != self.size:
            raise ValidationError(f"expected exactly {self.size} bytes, got {len(raw)}")
        return raw


class AvroTimestamp(fields.DateTime):
    def __init__(self, per_second: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.per_second = per_second
        self.unit = "milliseconds" if per_second == 1000 else "microseconds"
        # The integers that name an instant Python can hold (years 1 to 9999).
        self.earliest = (datetime.min.replace(tzinfo=UTC) - EPOCH) // _tick(per_second)
        self.latest = (datetime.max.replace(tzinfo=UTC) - EPOCH) // _tick(per_second)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(
                f"expected RFC 3339 string or integer epoch {self.unit}, got {json_type(value)}"
            )
        if isinstance(value, int):
            try:
                return EPOCH + timedelta(microseconds=value * 1_000_000 // self.per_second)
            except OverflowError:
                raise ValidationError(f"epoch {self.unit} {value} is out of range") from None
        return parse_timestamp(value)


def _tick(per_second: int) -> timedelta:
    return timedelta(microseconds=1_000_000 // per_second)


class AvroDate(fields.Date):
    earliest = (date.min - EPOCH_DATE).days
    latest = (date.max - EPOCH_DATE).days

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return EPOCH_DATE + timedelta(days=value)
            except OverflowError:
                raise ValidationError(f"{value} days since the epoch is out of range") from None
        if not isinstance(value, str):
            raise ValidationError(f"expected RFC 3339 date string, got {json_type(value)}")
        try:
            if _FULL_DATE.fullmatch(value) is None:
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                f"expected RFC 3339 date such as 2026-11-27, got {value!r}"
            ) from None


class AvroNull(fields.Field[None]):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> None:
        raise ValidationError(f"expected null, got {json_type(value)}")


class AvroRecord(fields.Nested):
    def _deserialize(
        self, value: Any, attr: str | None, data: Any, partial: Any = None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, Mapping):
            raise ValidationError(f"expected object, got {json_type(value)}")
        return super()._deserialize(value, attr, data, partial=partial, **kwargs)


class AvroArray(fields.List):  # type: ignore[type-arg]
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError(f"expected array, got {json_type(value)}")
        return super()._deserialize(value, attr, data, **kwargs)


class AvroMap(fields.Dict):
    """A map whose errors are keyed by the entry's key alone (`filters.genre`), rather than
    marshmallow's `{"genre": {"value": [...]}}` nesting."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError(f"expected object, got {json_type(value)}")
        assert self.value_field is not None
        result: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for key, item in value.items():
            if not is_text(key):
                errors[key] = ["the key holds a lone UTF-16 surrogate, which is not text"]
                continue
            try:
                result[key] = self.value_field.deserialize(item, **kwargs)
            except ValidationError as exc:
                errors[key] = exc.messages
        if errors:
            raise ValidationError(errors)
        return result


class AvroUnion(fields.Field[Any]):
    """A union of several non-null branches: the first branch that accepts the value wins,
    which matches how fastavro picks the branch when it writes the datum."""

    def __init__(self, branches: list[tuple[str, fields.Field[Any]]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.branches = branches

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        for _, branch in self.branches:
            try:
                return branch.deserialize(value, **kwargs)
            except ValidationError:
                continue
        names = ", ".join(name for name, _ in self.branches)
        raise ValidationError(f"expected one of {names}, got {json_type(value)}")


class ServerOwned(fields.Field[Any]):
    """A field the server fills in: a client that sends it is told so."""

    def __init__(self, **kwargs: Any) -> None:
        message = "is set by the server"
        super().__init__(error_messages={"null": message}, allow_none=False, **kwargs)
        self.metadata = {**self.metadata, "readOnly": True}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        raise ValidationError("is set by the server")


def instant(text: str) -> datetime | None:
    """The instant an RFC 3339 date-time names, or None if `text` is not one (or is a leap
    second, which Avro's timestamps cannot hold). Digits past microseconds are dropped."""
    match = _INSTANT.fullmatch(text)
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    zone = "+00:00" if offset in ("Z", "z") else offset
    try:
        return datetime.fromisoformat(f"{day}T{clock}{(fraction or '')[:7]}{zone}")
    except ValueError:
        return None


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 instant. A time without an offset is refused: silently assuming UTC
    would shift a client's local times by hours in every report."""
    moment = instant(text)
    if moment is not None:
        return moment
    if _INSTANT.fullmatch(text) is not None and text[17:19] == "60":
        raise ValidationError("a leap second (:60) cannot be stored; send :59.999 instead")
    if _INSTANT.fullmatch(text + "Z") is not None:
        raise ValidationError("timestamp has no timezone; add 'Z' or an offset such as +03:00")
    raise ValidationError(f"expected RFC 3339 timestamp such as 2026-11-27T20:15:00Z, got {text!r}")
