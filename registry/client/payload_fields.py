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
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import ValidationError, fields

from registry.client.avro.names import json_type
from registry.client.avro.types import EPOCH, EPOCH_DATE, FLOAT32_MAX


class AvroString(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(f"expected string, got {json_type(value)}")
        return value


class AvroUuid(AvroString):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise ValidationError(f"expected a UUID, got {text!r}") from None


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
        self.metadata = {**self.metadata, "format": f"int{bits}"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"expected integer, got {json_type(value)}")
        low, high = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
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
        number = float(value)
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

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(
                f"expected ISO-8601 string or integer epoch {self.unit}, got {json_type(value)}"
            )
        if isinstance(value, int):
            try:
                return EPOCH + timedelta(microseconds=value * 1_000_000 // self.per_second)
            except OverflowError:
                raise ValidationError(f"epoch {self.unit} {value} is out of range") from None
        return parse_timestamp(value)


class AvroDate(fields.Date):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return EPOCH_DATE + timedelta(days=value)
            except OverflowError:
                raise ValidationError(f"{value} days since the epoch is out of range") from None
        if not isinstance(value, str):
            raise ValidationError(f"expected ISO-8601 date string, got {json_type(value)}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                f"expected ISO-8601 date such as 2026-11-27, got {value!r}"
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


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 instant. A time without an offset is refused: silently assuming UTC
    would shift a client's local times by hours in every report."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"expected ISO-8601 timestamp such as 2026-11-27T20:15:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError("timestamp has no timezone; add 'Z' or an offset such as +03:00")
    return moment
