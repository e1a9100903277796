"""Avro schema text → validated type tree → canonical identity string, as Confluent stores it.

This module owns what a schema *is*: `parse_schema` turns the text a client sent
(strict: names, defaults, unions are validated) or the text read back from the `_schemas`
topic (lenient: whatever Java Avro once accepted) into a `ParsedSchema`. Its `canonical`
string is byte for byte what Java Avro's compact `Schema.toString()` writes (written by
`registry.client.avro.canonical`), which is the registry's notion of identity: whitespace and
`{"type":"string"}` vs `"string"` do not matter, while `doc`, defaults, aliases and custom
properties do. The parsed tree (`registry.client.avro.types`) is what every reader of a
schema walks; `parse_json` gives the tree of schema JSON already loaded, and
`ParsedSchema.to_fastavro()` a self-contained schema for fastavro. Only AVRO is supported;
JSON and PROTOBUF raise `InvalidSchemaError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from registry.client.avro.canonical import write_canonical
from registry.client.avro.defaults import default_problem
from registry.client.avro.export import fastavro_schema
from registry.client.avro.names import PRIMITIVES, full_name, json_type
from registry.client.avro.types import (
    NO_DEFAULT,
    Array,
    Enum,
    Field,
    Fixed,
    Json,
    Map,
    Named,
    Node,
    Primitive,
    Record,
    Union,
    describe,
    shown,
)
from registry.client.models import SchemaReference, SchemaType

# Keys Java Avro interprets itself; every other key of a schema object is a custom property.
_SCHEMA_RESERVED = frozenset(
    {"type", "name", "namespace", "doc", "aliases", "fields", "symbols", "size", "items", "values"}
)
_ENUM_RESERVED = _SCHEMA_RESERVED | {"default"}
_FIELD_RESERVED = frozenset({"name", "type", "doc", "default", "order", "aliases"})
_ORDERS = ("ascending", "descending", "ignore")
_INT_MAX = 2**31 - 1


class InvalidSchemaError(ValueError):
    """The schema text is not a schema this registry accepts; the message says why."""


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
        return fastavro_schema(self.root)


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
    canonical = write_canonical(root, known)
    refs = tuple(dict.fromkeys(ref for ref, _ in references))
    return ParsedSchema(canonical, SchemaType.AVRO, refs, root, strict)


# Given a name as written and the full names it may mean, in Java's order of trying: the
# type defined elsewhere (a sibling contract file), or None.
Resolve = Callable[[str, list[str]], Node | None]


def parse_json(value: Json, *, strict: bool = True, resolve: Resolve | None = None) -> Node:
    """The type tree of schema JSON already loaded (a dict, list or type name); `resolve` is
    asked for each name the schema uses but does not define."""
    return _Parser(strict, resolve).parse(value, None, "")


def record_tree(schema: str | Mapping[str, Json]) -> Record:
    """The lenient tree of a record schema (an event) held as JSON text or as loaded JSON, as
    the readers of registered and contract schemas take it; InvalidSchemaError if it is not
    a record."""
    root = parse_json(json.loads(schema) if isinstance(schema, str) else schema, strict=False)
    if not isinstance(root, Record):
        raise InvalidSchemaError(f"expected an Avro record schema, got {describe(root)}")
    return root


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
    # Schema errors call any JSON number a number, integer or not.
    kind = json_type(value)
    return "number" if kind == "integer" else kind


class _Parser:
    """Builds the type tree; `names` collects every named type, across references too."""

    def __init__(self, strict: bool, resolve: Resolve | None = None) -> None:
        self.strict = strict
        self.resolve = resolve
        self.names: dict[str, Record | Enum | Fixed] = {}

    def parse(self, node: Json, space: str | None, path: str) -> Node:
        if isinstance(node, str):
            return self._lookup(node, space, path)
        if isinstance(node, list):
            return self._union(node, space, path)
        if isinstance(node, dict):
            return self._object(node, space, path)
        raise InvalidSchemaError(
            f"{_at(path)}expected a type name, object or array, got {_kind(node)} {shown(node)}"
        )

    def _lookup(self, name: str, space: str | None, path: str) -> Node:
        if name in PRIMITIVES:
            return Primitive(name)
        # Java's rule: a bare name is first qualified with the enclosing namespace, then tried
        # as it stands (the null namespace).
        qualified = full_name(name, None, space or "")
        found: Node | None = self.names.get(qualified) or self.names.get(name)
        if found is None and self.resolve is not None:
            found = self.resolve(name, list(dict.fromkeys([qualified, name])))
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
        namespace = namespace if isinstance(namespace, str) else None
        full = full_name(name, namespace, space or "").lstrip(".")
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
        own_space = named.space or ""
        named.aliases = [full_name(a, None, own_space) for a in self._aliases(node, path)]
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
            problem = _default_mismatch(ftype, default)
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
                f"{_at(path)}enum '{result.fullname}': default {shown(default)} "
                f"is not one of its symbols"
            )
        result.default = default
        return result

    def _fixed(self, node: dict[str, Json], space: str | None, path: str) -> Fixed:
        result = Fixed("")
        self._named(result, node, space, path)
        size = node.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _INT_MAX:
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


def _default_mismatch(node: Node, value: Json) -> str | None:
    """The registry's wording of `default_problem`, naming the type the default misses."""
    if default_problem(node, value) is None:
        return None
    if isinstance(node, Union):
        if not node.branches:
            return "an empty union cannot have a default"
        miss = f"default {shown(value)} does not match type {describe(node.branches[0])}"
        return f"{miss} (a union's default must match its first branch)"
    return f"default {shown(value)} does not match type {describe(node)}"


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
