"""Avro schema text → validated type tree → canonical identity string, as Confluent stores it.

This module owns what a registered schema *is*: `parse_schema` turns the text a client sent
(strict: names, defaults, unions are validated) or the text read back from the `_schemas`
topic (lenient: whatever Java Avro once accepted) into a `ParsedSchema`. Its `canonical`
string is byte for byte what Java Avro's compact `Schema.toString()` writes (key order,
namespace elision, named types written by name the second time, Jackson's number and string
formatting), which is the registry's notion of identity: whitespace and `{"type":"string"}`
vs `"string"` do not matter, while `doc`, defaults, aliases and custom properties do. The
parsed tree (`Record`, `Field`, `Enum`, `Fixed`, `Array`, `Map`, `Union`, `Primitive`) is what
`registry.server.compatibility` walks; `ParsedSchema.to_fastavro()` gives a self-contained
schema for fastavro. Only AVRO is supported; JSON and PROTOBUF raise `InvalidSchemaError`.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeAlias

from registry.client.models import SchemaReference, SchemaType

Json: TypeAlias = Any
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
# Keys Java Avro interprets itself; every other key of a schema object is a custom property.
_SCHEMA_RESERVED = frozenset(
    {"type", "name", "namespace", "doc", "aliases", "fields", "symbols", "size", "items", "values"}
)
_ENUM_RESERVED = _SCHEMA_RESERVED | {"default"}
_FIELD_RESERVED = frozenset({"name", "type", "doc", "default", "order", "aliases"})
_ORDERS = ("ascending", "descending", "ignore")
_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)


class InvalidSchemaError(Exception):
    """The schema text is not a schema this registry accepts; the message says why."""


class _NoDefault(enum.Enum):
    TOKEN = 0


NO_DEFAULT = _NoDefault.TOKEN


@dataclass(eq=False)
class Primitive:
    type: str
    props: dict[str, Json] = field(default_factory=dict)


@dataclass(eq=False)
class Array:
    items: Node
    props: dict[str, Json] = field(default_factory=dict)


@dataclass(eq=False)
class Map:
    values: Node
    props: dict[str, Json] = field(default_factory=dict)


@dataclass(eq=False)
class Union:
    branches: list[Node]


@dataclass(eq=False)
class Named:
    """A record, enum or fixed: `fullname` is dotted; `aliases` are full names too."""

    fullname: str
    doc: str | None = None
    aliases: list[str] = field(default_factory=list)
    props: dict[str, Json] = field(default_factory=dict)

    @property
    def space(self) -> str | None:
        return self.fullname.rpartition(".")[0] or None

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]


@dataclass(eq=False)
class Field:
    name: str
    type: Node
    doc: str | None = None
    default: Json = NO_DEFAULT
    order: str = "ascending"
    aliases: list[str] = field(default_factory=list)
    props: dict[str, Json] = field(default_factory=dict)

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


@dataclass(eq=False)
class Record(Named):
    fields: list[Field] = field(default_factory=list)
    is_error: bool = False


@dataclass(eq=False)
class Enum(Named):
    symbols: list[str] = field(default_factory=list)
    default: str | None = None


@dataclass(eq=False)
class Fixed(Named):
    size: int = 0


Node: TypeAlias = Primitive | Array | Map | Union | Record | Enum | Fixed


@dataclass(frozen=True)
class ParsedSchema:
    """A schema the registry understood. Equal (and hashed) by canonical text, type, references."""

    canonical: str
    schema_type: SchemaType
    references: tuple[SchemaReference, ...]
    root: Node = field(compare=False, repr=False)
    strict: bool = field(compare=False, repr=False, default=True)

    def to_fastavro(self) -> Json:
        """A self-contained schema (referenced types inlined) for `fastavro.parse_schema`."""
        return _expand(self.root, set())


def parse_schema(
    text: str,
    *,
    schema_type: SchemaType = SchemaType.AVRO,
    references: Sequence[tuple[SchemaReference, str]] = (),
    strict: bool = True,
) -> ParsedSchema:
    """Parse `text`; InvalidSchemaError with a precise message when it is not a valid schema.

    `references` pairs each reference with the schema text of the referenced version. Pass
    *all* transitive references, flattened, in dependency order (a referenced schema before any
    schema that uses it); duplicates are ignored. Named types they define become usable in
    `text`, and, as Confluent does, the top-level type of each reference is written by name in
    the canonical string. `strict=True` is for API input; `strict=False` for the store.
    """
    if schema_type is not SchemaType.AVRO:
        raise InvalidSchemaError(f"schema type {schema_type} is not supported")
    parser = _Parser(strict)
    known: set[str] = set()
    seen: set[SchemaReference] = set()
    for reference, ref_text in references:
        if reference in seen:
            continue
        seen.add(reference)
        try:
            ref_root = parser.parse(_load_json(ref_text, strict), None, "")
        except InvalidSchemaError as exc:
            raise InvalidSchemaError(f"reference {reference.name!r}: {exc}") from exc
        if isinstance(ref_root, Named):
            known.add(ref_root.fullname)
    root = parser.parse(_load_json(text, strict), None, "")
    canonical = _Writer(known).write(root, None)
    refs = tuple(dict.fromkeys(ref for ref, _ in references))
    return ParsedSchema(canonical, SchemaType.AVRO, refs, root, strict)


def _load_json(text: str, strict: bool) -> Json:
    if not text.strip():
        raise InvalidSchemaError("empty schema")

    def reject_constant(name: str) -> Json:
        raise InvalidSchemaError(f"invalid JSON: {name} is not a JSON value")

    decoder = json.JSONDecoder(parse_constant=reject_constant)
    try:
        # Jackson (Java) reads the first JSON value and ignores trailing text; stored schemas
        # may rely on that, API input may not.
        return decoder.decode(text) if strict else decoder.raw_decode(text.lstrip())[0]
    except json.JSONDecodeError as exc:
        raise InvalidSchemaError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc


def _at(path: str) -> str:
    return f"field '{path}': " if path else ""


def _kind(value: Json) -> str:
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    return "null" if value is None else names.get(type(value), "object")


def _shown(value: Json) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


class _Parser:
    """Builds the type tree; `names` collects every named type, across references too."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.names: dict[str, Record | Enum | Fixed] = {}

    def parse(self, node: Json, space: str | None, path: str) -> Node:
        if isinstance(node, str):
            return self._lookup(node, space, path)
        if isinstance(node, list):
            return self._union(node, space, path)
        if isinstance(node, dict):
            return self._object(node, space, path)
        raise InvalidSchemaError(
            f"{_at(path)}expected a type name, object or array, got {_kind(node)} {_shown(node)}"
        )

    def _lookup(self, name: str, space: str | None, path: str) -> Node:
        if name in PRIMITIVES:
            return Primitive(name)
        # Java's rule: a bare name is first qualified with the enclosing namespace, then tried
        # as it stands (the null namespace).
        qualified = f"{space}.{name}" if space and "." not in name else name
        found = self.names.get(qualified) or self.names.get(name)
        if found is None:
            raise InvalidSchemaError(f"{_at(path)}unknown type '{name}'")
        return found

    def _object(self, node: dict[str, Json], space: str | None, path: str) -> Node:
        type_ = node.get("type")
        if type_ is None:
            raise InvalidSchemaError(f"{_at(path)}schema object has no 'type'")
        if not isinstance(type_, str):
            if self.strict:
                raise InvalidSchemaError(f"{_at(path)}'type' must be a string")
            return self.parse(type_, space, path)
        if type_ in PRIMITIVES:
            return Primitive(type_, _props(node, _SCHEMA_RESERVED))
        if type_ in ("array", "map"):
            key = "items" if type_ == "array" else "values"
            if key not in node:
                raise InvalidSchemaError(f"{_at(path)}{type_} has no '{key}'")
            inner = self.parse(node[key], space, path + ("[]" if type_ == "array" else "{}"))
            props = _props(node, _SCHEMA_RESERVED)
            return Array(inner, props) if type_ == "array" else Map(inner, props)
        builders: dict[str, Callable[[dict[str, Json], str | None, str], Node]]
        builders = {"record": self._record, "error": self._record}
        builders |= {"enum": self._enum, "fixed": self._fixed}
        if type_ in builders:
            return builders[type_](node, space, path)
        # {"type": "ugc.Context"}: Java returns the named type itself and drops other keys.
        return self._lookup(type_, space, path)

    def _named(
        self, named: Record | Enum | Fixed, node: dict[str, Json], space: str | None, path: str
    ) -> None:
        """Fill in name, doc, aliases and props of `named` and register it."""
        name, namespace = node.get("name"), node.get("namespace")
        if not isinstance(name, str) or not name:
            raise InvalidSchemaError(f"{_at(path)}{node.get('type')} has no 'name'")
        if not isinstance(namespace, str):
            namespace = space
        full = name if "." in name else (f"{namespace}.{name}" if namespace else name)
        full = full.lstrip(".")
        if self.strict:
            for part in full.split("."):
                _check_name(part, f"{_at(path)}type name '{full}'")
        if full in PRIMITIVES:
            raise InvalidSchemaError(f"{_at(path)}a named type may not be called '{full}'")
        if full in self.names:
            raise InvalidSchemaError(f"{_at(path)}type '{full}' is defined twice")
        named.fullname = full
        doc = node.get("doc")
        named.doc = doc if isinstance(doc, str) else None
        own_space = named.space
        named.aliases = [
            a if "." in a or not own_space else f"{own_space}.{a}"
            for a in self._aliases(node, path)
        ]
        named.props = _props(node, _ENUM_RESERVED if isinstance(named, Enum) else _SCHEMA_RESERVED)
        self.names[full] = named

    def _aliases(self, node: dict[str, Json], path: str) -> list[str]:
        aliases = node.get("aliases", [])
        if isinstance(aliases, list) and all(isinstance(a, str) for a in aliases):
            return list(dict.fromkeys(aliases))
        if self.strict:
            raise InvalidSchemaError(f"{_at(path)}'aliases' must be an array of strings")
        return [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else []

    def _record(self, node: dict[str, Json], space: str | None, path: str) -> Record:
        record = Record("", is_error=node.get("type") == "error")
        self._named(record, node, space, path)
        fields = node.get("fields")
        if not isinstance(fields, list):
            raise InvalidSchemaError(f"{_at(path)}record '{record.fullname}' has no 'fields' array")
        # Nested types inherit the record's namespace; Java keeps the outer one for a record
        # declared in the null namespace.
        inner_space = record.space or space
        for item in fields:
            record.fields.append(self._field(item, inner_space, path))
        names = [f.name for f in record.fields]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates and self.strict:
            raise InvalidSchemaError(
                f"{_at(path)}record '{record.fullname}' has duplicate fields {duplicates}"
            )
        return record

    def _field(self, node: Json, space: str | None, path: str) -> Field:
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            raise InvalidSchemaError(f"{_at(path)}each field must be an object with a 'name'")
        name: str = node["name"]
        fpath = f"{path}.{name}" if path else name
        if self.strict:
            _check_name(name, f"field '{fpath}': name")
        if "type" not in node:
            raise InvalidSchemaError(f"field '{fpath}' has no 'type'")
        ftype = self.parse(node["type"], space, fpath)
        default = node.get("default", NO_DEFAULT)
        default = _coerce_float_default(ftype, default)
        if self.strict and default is not NO_DEFAULT:
            problem = default_problem(ftype, default)
            if problem:
                raise InvalidSchemaError(f"field '{fpath}': {problem}")
        order = node.get("order", "ascending")
        if not isinstance(order, str) or order.lower() not in _ORDERS:
            if self.strict:
                raise InvalidSchemaError(f"field '{fpath}': order must be one of {list(_ORDERS)}")
            order = "ascending"
        doc = node.get("doc")
        return Field(
            name,
            ftype,
            doc if isinstance(doc, str) else None,
            default,
            order.lower(),
            self._aliases(node, fpath),
            _props(node, _FIELD_RESERVED),
        )

    def _enum(self, node: dict[str, Json], space: str | None, path: str) -> Enum:
        result = Enum("")
        self._named(result, node, space, path)
        symbols = node.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise InvalidSchemaError(f"{_at(path)}enum '{result.fullname}' needs 'symbols' strings")
        if self.strict:
            for symbol in symbols:
                _check_name(symbol, f"{_at(path)}enum '{result.fullname}' symbol")
            if len(set(symbols)) != len(symbols):
                raise InvalidSchemaError(f"{_at(path)}enum '{result.fullname}' repeats a symbol")
        result.symbols = list(symbols)
        default = node.get("default")
        default = default if isinstance(default, str) else None  # Java ignores non-text
        if default is not None and default not in symbols:
            raise InvalidSchemaError(
                f"{_at(path)}enum '{result.fullname}': default {_shown(default)} "
                f"is not one of its symbols"
            )
        result.default = default
        return result

    def _fixed(self, node: dict[str, Json], space: str | None, path: str) -> Fixed:
        result = Fixed("")
        self._named(result, node, space, path)
        size = node.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _INT_RANGE[1]:
            raise InvalidSchemaError(f"{_at(path)}fixed '{result.fullname}' needs an int 'size'")
        result.size = size
        return result

    def _union(self, node: list[Json], space: str | None, path: str) -> Union:
        branches = [self.parse(item, space, path) for item in node]
        if self.strict:
            keys = [_branch_key(b) for b in branches]
            if "union" in keys:
                raise InvalidSchemaError(f"{_at(path)}a union may not contain a union")
            repeated = sorted({k for k in keys if keys.count(k) > 1})
            if repeated:
                raise InvalidSchemaError(f"{_at(path)}union contains {repeated[0]} twice")
        return Union(branches)


def _props(node: dict[str, Json], reserved: frozenset[str]) -> dict[str, Json]:
    return {key: value for key, value in node.items() if key not in reserved}


def _check_name(name: str, what: str) -> None:
    # Java's rule (Character.isLetter / isLetterOrDigit), which admits non-ASCII letters.
    if not name or not (name[0].isalpha() or name[0] == "_"):
        raise InvalidSchemaError(f"{what} {name!r} must start with a letter or '_'")
    if not all(c.isalnum() or c == "_" for c in name):
        raise InvalidSchemaError(f"{what} {name!r} may contain only letters, digits and '_'")


def _branch_key(node: Node) -> str:
    if isinstance(node, Named):
        return node.fullname
    return node.type if isinstance(node, Primitive) else type(node).__name__.lower()


def _coerce_float_default(ftype: Node, default: Json) -> Json:
    # Java turns a textual default of a float/double field into a number ("1.5" → 1.5).
    is_float = isinstance(ftype, Primitive) and ftype.type in ("float", "double")
    if not (is_float and isinstance(default, str) and "_" not in default):
        return default
    try:
        number = float(default)
    except ValueError:
        return default
    return number if math.isfinite(number) else default


def describe(node: Node) -> str:
    """A short human name for a type: `int`, `ugc.Review`, `array<string>`, `union[null, int]`."""
    if isinstance(node, Primitive):
        return node.type
    if isinstance(node, Named):
        return node.fullname
    if isinstance(node, Array):
        return f"array<{describe(node.items)}>"
    if isinstance(node, Map):
        return f"map<{describe(node.values)}>"
    return "union[" + ", ".join(describe(b) for b in node.branches) + "]"


def default_problem(node: Node, value: Json) -> str | None:
    """Why `value` is not a valid default for `node`, or None when it is."""
    if isinstance(node, Union):
        if not node.branches:
            return "an empty union cannot have a default"
        problem = default_problem(node.branches[0], value)
        if problem:
            return f"{problem} (a union's default must match its first branch)"
        return None
    if _default_fits(node, value):
        return None
    return f"default {_shown(value)} does not match type {describe(node)}"


def _primitive_fits(node: Primitive, value: Json) -> bool:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    checks = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "int": is_int and _INT_RANGE[0] <= value <= _INT_RANGE[1],
        "long": is_int and _LONG_RANGE[0] <= value <= _LONG_RANGE[1],
        "float": is_int or isinstance(value, float),
        "double": is_int or isinstance(value, float),
        "bytes": isinstance(value, str) and all(ord(c) < 256 for c in value),
        "string": isinstance(value, str),
    }
    return checks[node.type]


def _default_fits(node: Node, value: Json) -> bool:
    if isinstance(node, Primitive):
        return _primitive_fits(node, value)
    if isinstance(node, Enum | Fixed):
        if isinstance(node, Enum):
            return isinstance(value, str) and value in node.symbols
        return isinstance(value, str) and len(value) == node.size
    if isinstance(node, Array | Map):
        items = value if isinstance(node, Array) else value.values()
        shaped = isinstance(value, list if isinstance(node, Array) else dict)
        inner = node.items if isinstance(node, Array) else node.values
        return shaped and all(default_problem(inner, v) is None for v in items)
    if isinstance(node, Record):
        return isinstance(value, dict) and all(
            default_problem(f.type, value[f.name]) is None if f.name in value else f.has_default
            for f in node.fields
        )
    return default_problem(node, value) is None


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
    # Jackson's defaults: non-ASCII stays raw; other control characters as upper-case \uXXXX.
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


def _expand(node: Node, seen: set[str]) -> Json:
    """fastavro form: full names everywhere, each named type defined at its first use."""
    if isinstance(node, Primitive):
        return {"type": node.type, **node.props} if node.props else node.type
    if isinstance(node, Array):
        return {"type": "array", "items": _expand(node.items, seen), **node.props}
    if isinstance(node, Map):
        return {"type": "map", "values": _expand(node.values, seen), **node.props}
    if isinstance(node, Union):
        return [_expand(b, seen) for b in node.branches]
    if node.fullname in seen:
        return node.fullname
    seen.add(node.fullname)
    out: dict[str, Json] = {**node.props, "name": node.fullname}
    if node.space is None:
        out["namespace"] = ""  # otherwise fastavro would file it under the enclosing namespace
    if node.aliases:
        out["aliases"] = node.aliases
    if isinstance(node, Record):
        out["type"] = "error" if node.is_error else "record"
        out["fields"] = [_expand_field(f, seen) for f in node.fields]
    elif isinstance(node, Enum):
        out.update(type="enum", symbols=node.symbols)
        if node.default is not None:
            out["default"] = node.default
    else:
        out.update(type="fixed", size=node.size)
    return out


def _expand_field(f: Field, seen: set[str]) -> Json:
    out: dict[str, Json] = {**f.props, "name": f.name, "type": _expand(f.type, seen)}
    if f.has_default:
        out["default"] = f.default
    if f.aliases:
        out["aliases"] = f.aliases
    return out
