"""A compiled fast path for the payload mapping of `registry.client.payload`.

The marshmallow schemas there collect every problem with its path, which is what a 422
needs, but they cost about 30 µs per event: most of the ingest API's CPU. Here the same
Avro record compiles once into plain nested functions that convert a *valid* payload to
the identical datum and give up (return None) at the first thing they do not expect. The
caller then runs the marshmallow path, which either explains the problem or, for a case
this module leaves to it (bytes, fixed, dates, unions of several types, unknown logical
types), produces the datum itself. So the fast path only ever decides "valid, and here is
the datum"; every refusal and every message stays with marshmallow.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from registry.client.avro.names import full_name

Convert = Callable[[Any], Any]
FastPath = Callable[[Any], dict[str, Any] | None]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FLOAT32_MAX = 3.4028234663852886e38
_REQUIRED, _DEFAULT, _SKIP = 0, 1, 2


class _NotPlainError(Exception):
    """This value is not the plain valid case: let marshmallow read it."""


def _slow(_: Any) -> Any:
    raise _NotPlainError


def _string(value: Any) -> Any:
    if type(value) is str:
        return value
    raise _NotPlainError


def _boolean(value: Any) -> Any:
    if type(value) is bool:
        return value
    raise _NotPlainError


def _integer(bits: int) -> Convert:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def convert(value: Any) -> Any:
        if type(value) is int and low <= value <= high:
            return value
        raise _NotPlainError

    return convert


def _floating(single: bool) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is float or type(value) is int:
            number = float(value)
            if math.isfinite(number) and not (single and abs(number) > _FLOAT32_MAX):
                return number
        raise _NotPlainError

    return convert


# The canonical hyphenated form in any letter case; other spellings uuid.UUID accepts
# (braces, urn:uuid:, bare hex) are left to marshmallow, which normalises them the same way.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _uuid(value: Any) -> Any:
    if type(value) is str and _UUID.fullmatch(value):
        return value.lower()
    raise _NotPlainError


def _timestamp(per_second: int) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is int:
            try:
                return _EPOCH + timedelta(microseconds=value * 1_000_000 // per_second)
            except OverflowError:
                raise _NotPlainError from None
        if type(value) is str:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise _NotPlainError from None
            if moment.tzinfo is not None and moment.utcoffset() is not None:
                return moment
        raise _NotPlainError

    return convert


def _nullable(inner: Convert) -> Convert:
    def convert(value: Any) -> Any:
        return None if value is None else inner(value)

    return convert


def _array(items: Convert) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is list:
            return [items(item) for item in value]
        raise _NotPlainError

    return convert


def _map(values: Convert) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is dict:
            return {key: values(item) for key, item in value.items()}
        raise _NotPlainError

    return convert


def _enum(symbols: Collection[str]) -> Convert:
    allowed = frozenset(symbols)

    def convert(value: Any) -> Any:
        if type(value) is str and value in allowed:
            return value
        raise _NotPlainError

    return convert


_PRIMITIVE: dict[str, Convert] = {
    "string": _string,
    "boolean": _boolean,
    "int": _integer(32),
    "long": _integer(64),
    "float": _floating(True),
    "double": _floating(False),
}


def _primitive(kind: Any, logical: Any) -> Convert:
    if kind == "string" and logical == "uuid":
        return _uuid
    if kind == "long" and logical in ("timestamp-millis", "timestamp-micros"):
        return _timestamp(1000 if logical == "timestamp-millis" else 1_000_000)
    if logical is None and isinstance(kind, str) and kind in _PRIMITIVE:
        return _PRIMITIVE[kind]
    return _slow  # bytes, fixed, dates, other logical types: marshmallow's job


def _late(named: dict[str, Convert], name: str) -> Convert:
    """A reference to a record still being compiled (a recursive type)."""

    def convert(value: Any) -> Any:
        return named[name](value)

    return convert


class _Compiler:
    def __init__(self) -> None:
        self.named: dict[str, Convert] = {}

    def of(self, avro: Any, namespace: str) -> Convert:
        if isinstance(avro, list):
            others = [branch for branch in avro if branch != "null"]
            if len(others) != 1:
                return _slow
            inner = self.of(others[0], namespace)
            return _nullable(inner) if "null" in avro else inner
        if isinstance(avro, str):
            if avro in _PRIMITIVE:
                return _PRIMITIVE[avro]
            name = full_name(avro, None, namespace)
            return self.named.get(name) or _late(self.named, name)
        return self.complex(avro, namespace)

    def complex(self, avro: Mapping[str, Any], namespace: str) -> Convert:
        kind, logical = avro["type"], avro.get("logicalType")
        if kind in ("record", "error"):
            return self.record(avro, namespace, (), ())
        if kind == "enum":
            convert = _enum(avro["symbols"])
            self.named[full_name(avro["name"], avro.get("namespace"), namespace)] = convert
            return convert
        if kind == "array":
            return _array(self.of(avro["items"], namespace))
        if kind == "map":
            return _map(self.of(avro["values"], namespace))
        if isinstance(kind, list):
            return self.of(kind, namespace)
        return _primitive(kind, logical)

    def record(
        self,
        avro: Mapping[str, Any],
        enclosing: str,
        server_owned: Collection[str],
        optional: Collection[str],
    ) -> Convert:
        name = full_name(avro["name"], avro.get("namespace"), enclosing)
        namespace = name.rpartition(".")[0]
        plan: list[tuple[str, Convert, int, Any]] = []
        for spec in avro["fields"]:
            field = spec["name"]
            if field in server_owned:
                continue
            how = _DEFAULT if "default" in spec else _REQUIRED
            if how == _REQUIRED and field in optional:
                how = _SKIP
            plan.append((field, self.of(spec["type"], namespace), how, spec.get("default")))
        allowed = frozenset(field for field, *_ in plan)
        convert = _record_converter(plan, allowed)
        self.named[name] = convert
        return convert


def _record_converter(
    plan: list[tuple[str, Convert, int, Any]], allowed: frozenset[str]
) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not dict or not allowed.issuperset(value):
            raise _NotPlainError
        datum: dict[str, Any] = {}
        for field, convert_field, how, default in plan:
            if field in value:
                datum[field] = convert_field(value[field])
            elif how == _DEFAULT:
                mutable = type(default) is list or type(default) is dict
                datum[field] = copy.deepcopy(default) if mutable else default
            elif how == _REQUIRED:
                raise _NotPlainError
        return datum

    return convert


def compile_fast_path(
    avro_schema: Mapping[str, Any] | str,
    *,
    server_owned: Collection[str] = (),
    optional: Collection[str] = (),
) -> FastPath:
    """A function giving the datum of a plainly valid payload, or None for anything else
    (then `registry.client.payload.to_datum` decides, and explains)."""
    avro = json.loads(avro_schema) if isinstance(avro_schema, str) else avro_schema
    convert = _Compiler().record(avro, "", frozenset(server_owned), frozenset(optional))

    def fast(payload: Any) -> dict[str, Any] | None:
        try:
            datum: dict[str, Any] = convert(payload)
        except (_NotPlainError, RecursionError):
            return None
        return datum

    return fast
