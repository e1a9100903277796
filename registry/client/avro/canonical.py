"""The canonical text of a parsed schema: byte for byte what Java Avro's compact
`Schema.toString()` writes, which Confluent stores and the registry treats as a schema's
identity. Key order, namespace elision (a namespace is written only where it differs from
the enclosing one), named types written by name the second time they appear, and Jackson's
number and string formatting (`encode_json`) all follow Java, so a schema registered here
and one registered with Confluent get the same text, hence the same id.
"""

from __future__ import annotations

import math
from decimal import Decimal

from registry.client.avro.types import (
    Array,
    Enum,
    Field,
    Fixed,
    Json,
    Map,
    Node,
    Primitive,
    Record,
    Union,
)


def write_canonical(root: Node, known: set[str]) -> str:
    """The canonical text of `root`; types named in `known` (a reference's top-level type,
    as Confluent does) are written by name only."""
    return _Writer(known).write(root, None)


class _Writer:
    """Java Avro's compact `toString`: `known` holds full names already written (by name)."""

    def __init__(self, known: set[str]) -> None:
        self.known = set(known)

    def write(self, node: Node, space: str | None) -> str:
        if isinstance(node, Primitive):
            if not node.props:
                return _quote(node.type)
            return "{" + f'"type":{_quote(node.type)}' + _members(node.props) + "}"
        if isinstance(node, Array | Map):
            key, inner = (
                ("items", node.items) if isinstance(node, Array) else ("values", node.values)
            )
            kind = "array" if isinstance(node, Array) else "map"
            body = self.write(inner, space)
            return f'{{"type":"{kind}","{key}":{body}{_members(node.props)}}}'
        if isinstance(node, Union):
            return "[" + ",".join(self.write(b, space) for b in node.branches) + "]"
        if node.fullname in self.known:
            return _quote(node.name if node.space in (None, space) else node.fullname)
        self.known.add(node.fullname)
        return "{" + ",".join(self._named_members(node, space)) + "}"

    def _named_members(self, node: Record | Enum | Fixed, space: str | None) -> list[str]:
        kind = "enum" if isinstance(node, Enum) else "fixed" if isinstance(node, Fixed) else None
        kind = kind or ("error" if isinstance(node, Record) and node.is_error else "record")
        out = [f'"type":"{kind}"', f'"name":{_quote(node.name)}']
        if node.space is not None and node.space != space:
            out.append(f'"namespace":{_quote(node.space)}')
        elif node.space is None and space is not None:
            out.append('"namespace":""')
        if node.doc is not None:
            out.append(f'"doc":{_quote(node.doc)}')
        if isinstance(node, Record):
            # Java writes fields in the record's own namespace, even the null one.
            inner = node.space
            fields = ",".join(self._field(f, inner) for f in node.fields)
            out.append(f'"fields":[{fields}]')
        elif isinstance(node, Enum):
            out.append('"symbols":' + encode_json(node.symbols))
            if node.default is not None:
                out.append(f'"default":{_quote(node.default)}')
        else:
            out.append(f'"size":{node.size}')
        out.extend(f"{_quote(k)}:{encode_json(v)}" for k, v in node.props.items())
        if node.aliases:
            own = node.space
            shown = [
                a.rpartition(".")[2] if a.rpartition(".")[0] in ("", own) else a
                for a in node.aliases
            ]
            out.append('"aliases":' + encode_json(shown))
        return out

    def _field(self, f: Field, space: str | None) -> str:
        out = [f'"name":{_quote(f.name)}', '"type":' + self.write(f.type, space)]
        if f.doc is not None:
            out.append(f'"doc":{_quote(f.doc)}')
        if f.has_default:
            out.append('"default":' + encode_json(f.default))
        if f.order != "ascending":
            out.append(f'"order":"{f.order}"')
        if f.aliases:
            out.append('"aliases":' + encode_json(f.aliases))
        out.extend(f"{_quote(k)}:{encode_json(v)}" for k, v in f.props.items())
        return "{" + ",".join(out) + "}"


def _members(props: dict[str, Json]) -> str:
    return "".join(f",{_quote(k)}:{encode_json(v)}" for k, v in props.items())


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _quote(text: str) -> str:
    # Jackson's defaults: non-ASCII stays raw; any other control character becomes a \u escape
    # with four upper-case hex digits.
    return (
        '"' + "".join(_ESCAPES.get(c) or (f"\\u{ord(c):04X}" if c < " " else c) for c in text) + '"'
    )


def encode_json(value: Json) -> str:
    """Compact JSON as Jackson writes it (Java number formatting, Jackson string escapes)."""
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, list):
        return "[" + ",".join(encode_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_quote(k)}:{encode_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return _java_double(value)
    # bool before int: True is an int to Python but `true` to JSON.
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _java_double(value: float) -> str:
    """Java's Double.toString: plain in [1e-3, 1e7), else d.dddE±n; always a fraction digit."""
    if not math.isfinite(value):
        return '"NaN"' if math.isnan(value) else ('"Infinity"' if value > 0 else '"-Infinity"')
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    exact = Decimal(repr(value)).normalize()
    if 1e-3 <= abs(value) < 1e7:
        text = format(exact, "f")
        return text if "." in text else text + ".0"
    sign, digits, exponent = exact.as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits))
    power = len(mantissa) + exponent - 1
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{power}"
