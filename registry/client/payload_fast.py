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
import math
from collections.abc import Callable, Collection, Mapping
from datetime import timedelta
from typing import Any

from registry.client.avro.parse import record_tree
from registry.client.avro.types import (
    EPOCH,
    FLOAT32_MAX,
    Array,
    Enum,
    Fixed,
    Map,
    Primitive,
    Record,
    Union,
    Visitor,
)
from registry.client.payload_fields import UUID_TEXT, instant, is_text

Convert = Callable[[Any], Any]
FastPath = Callable[[Any], dict[str, Any] | None]

_REQUIRED, _DEFAULT, _SKIP = 0, 1, 2
_INT_AS_FLOAT = 2**1023  # a larger integer may not convert to a double: marshmallow explains


class _NotPlainError(Exception):
    """This value is not the plain valid case: let marshmallow read it."""


def _slow(_: Any) -> Any:
    raise _NotPlainError


def _string(value: Any) -> Any:
    if is_text(value):
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
        if type(value) is float or (type(value) is int and -_INT_AS_FLOAT < value < _INT_AS_FLOAT):
            number = float(value)
            if math.isfinite(number) and not (single and abs(number) > FLOAT32_MAX):
                return number
        raise _NotPlainError

    return convert


def _uuid(value: Any) -> Any:
    if type(value) is str and UUID_TEXT.fullmatch(value):
        return value.lower()
    raise _NotPlainError


def _timestamp(per_second: int) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is int:
            try:
                return EPOCH + timedelta(microseconds=value * 1_000_000 // per_second)
            except OverflowError:
                raise _NotPlainError from None
        if type(value) is str:
            moment = instant(value)
            if moment is not None:
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
            return {_string(key): values(item) for key, item in value.items()}
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


class _Compiler(Visitor[Convert]):
    """One converter per type; a record used inside itself is looked up when first called."""

    def recursive(self, node: Record | Enum | Fixed) -> Convert:
        name = node.fullname

        def late(value: Any) -> Any:
            return self.result_of(name)(value)

        return late

    def primitive(self, node: Primitive) -> Convert:
        if node.type == "string" and node.logical == "uuid":
            return _uuid
        if node.type == "long" and node.logical in ("timestamp-millis", "timestamp-micros"):
            return _timestamp(1000 if node.logical == "timestamp-millis" else 1_000_000)
        if node.logical is None and node.type in _PRIMITIVE:
            return _PRIMITIVE[node.type]
        return _slow  # bytes, dates, other logical types: marshmallow's job

    def fixed(self, node: Fixed) -> Convert:
        return _slow

    def enum(self, node: Enum) -> Convert:
        return _enum(node.symbols)

    def array(self, node: Array) -> Convert:
        return _array(self.visit(node.items))

    def map(self, node: Map) -> Convert:
        return _map(self.visit(node.values))

    def union(self, node: Union) -> Convert:
        others = node.non_null
        if len(others) != 1:
            return _slow
        inner = self.visit(others[0])
        return _nullable(inner) if len(others) < len(node.branches) else inner

    def record(self, node: Record) -> Convert:
        return self.top(node, (), ())

    def top(
        self, node: Record, server_owned: Collection[str], optional: Collection[str]
    ) -> Convert:
        plan: list[tuple[str, Convert, int, Any]] = []
        for field in node.fields:
            if field.name in server_owned:
                continue
            convert = self.visit(field.type)
            # A default is the datum itself except where the JSON form differs (bytes and
            # fixed defaults are latin-1 text): those fields are marshmallow's when missing.
            plain_default = field.has_default and convert is not _slow
            how = _DEFAULT if plain_default else _REQUIRED
            if how == _REQUIRED and field.name in optional and not field.has_default:
                how = _SKIP
            plan.append((field.name, convert, how, field.default))
        return _record_converter(plan, frozenset(name for name, *_ in plan))


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
    convert = _Compiler().top(
        record_tree(avro_schema), frozenset(server_owned), frozenset(optional)
    )

    def fast(payload: Any) -> dict[str, Any] | None:
        try:
            datum: dict[str, Any] = convert(payload)
        except (_NotPlainError, RecursionError):
            return None
        return datum

    return fast
