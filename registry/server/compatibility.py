"""Schema evolution rules: may a new schema join a subject, given its live versions?

This module owns the registry's compatibility verdict. `check_compatibility` applies a
`CompatibilityLevel` (which direction, against the latest or every live version) and
`reader_writer_problems` decides whether a reader schema can resolve data written with a
writer schema, following the Avro specification's resolution rules exactly as Java Avro's
`SchemaCompatibility` (and Apache Avro's Python `avro.compatibility`) apply them: fields
matched by name or reader alias, a reader field missing from the writer needs a default,
promotions int→long→float→double and string↔bytes, enums need every writer symbol unless the
reader has a default, named types match by unqualified name or reader alias, fixed sizes agree,
unions branch by branch. Each problem is a human sentence naming the field path, the broken rule
and the existing version. `existing` entries may be bare `ParsedSchema`s or
`(version_number, ParsedSchema)` pairs; pairs let the messages name versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from registry.client.avro.parse import ParsedSchema
from registry.client.avro.types import (
    Array,
    Enum,
    Fixed,
    Map,
    Node,
    Primitive,
    Record,
    Union,
    describe,
)
from registry.client.models import CompatibilityLevel

# Writer types each reader primitive can read besides its own (Avro "promotion").
_PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "bytes": frozenset({"string"}),
    "string": frozenset({"bytes"}),
}

Existing = ParsedSchema | tuple[int, ParsedSchema]


@dataclass(frozen=True)
class Problem:
    """One reason a reader cannot read a writer: Confluent's error type, where, and why."""

    kind: str  # READER_FIELD_MISSING_DEFAULT_VALUE, TYPE_MISMATCH, ... as Confluent names them
    path: str  # dotted reader field path, "" for the top-level type
    detail: str

    def __str__(self) -> str:
        where = f"field '{self.path}'" if self.path else "top-level type"
        return f"{where}: {self.detail} ({self.kind})"


def check_compatibility(
    level: CompatibilityLevel, new: ParsedSchema, existing: Sequence[Existing]
) -> list[str]:
    """Messages explaining why `new` breaks `level` against `existing`; [] when compatible.

    `existing` holds the subject's live versions, oldest first. Non-transitive levels look
    only at the last one; transitive levels at all of them.
    """
    if level is CompatibilityLevel.NONE or not existing:
        return []
    targets = list(existing) if level.transitive else [existing[-1]]
    messages: list[str] = []
    for position, entry in enumerate(targets, start=len(existing) - len(targets)):
        label, old = _label(entry, position, len(existing))
        if level.backward:
            for problem in reader_writer_problems(new, old):
                messages.append(f"new schema cannot read data written with {label}: {problem}")
        if level.forward:
            for problem in reader_writer_problems(old, new):
                messages.append(f"{label} cannot read data written with the new schema: {problem}")
    return messages


def _label(entry: Existing, position: int, count: int) -> tuple[str, ParsedSchema]:
    if isinstance(entry, tuple):
        return f"version {entry[0]}", entry[1]
    if position == count - 1:
        return "the latest version", entry
    return f"existing schema #{position + 1} (oldest first)", entry


def reader_writer_problems(reader: ParsedSchema, writer: ParsedSchema) -> list[Problem]:
    """Every reason data written with `writer` cannot be read with `reader` ([] = it can)."""
    return _Checker().check(reader.root, writer.root, "")


class _Checker:
    """One reader/writer walk. Record pairs are memoized so recursive types terminate."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, int], list[Problem]] = {}

    def check(self, reader: Node, writer: Node, path: str) -> list[Problem]:
        if isinstance(writer, Union) and not isinstance(reader, Union):
            # Every branch the writer may have picked must be readable.
            return [p for branch in writer.branches for p in self.check(reader, branch, path)]
        if isinstance(reader, Union):
            return self._reader_union(reader, writer, path)
        same_kind = self._same_kind(reader, writer, path)
        if same_kind is not None:
            return same_kind
        return [
            Problem(
                "TYPE_MISMATCH",
                path,
                f"writer type {describe(writer)} cannot be read as reader type {describe(reader)}",
            )
        ]

    def _same_kind(self, reader: Node, writer: Node, path: str) -> list[Problem] | None:
        """Problems between two types of the same kind; None when the kinds differ."""
        if isinstance(reader, Primitive) and isinstance(writer, Primitive):
            promotable = writer.type in _PROMOTIONS.get(reader.type, ())
            return [] if reader.type == writer.type or promotable else None
        arrays = isinstance(reader, Array) and isinstance(writer, Array)
        if arrays or (isinstance(reader, Map) and isinstance(writer, Map)):
            assert isinstance(reader, Array | Map) and isinstance(writer, Array | Map)
            (reader_inner, suffix), (writer_inner, _) = _child(reader), _child(writer)
            return self.check(reader_inner, writer_inner, path + suffix)
        if isinstance(reader, Record) and isinstance(writer, Record):
            return self._record(reader, writer, path)
        if isinstance(reader, Enum) and isinstance(writer, Enum):
            return _name_problems(reader, writer, path) + _enum_problems(reader, writer, path)
        if isinstance(reader, Fixed) and isinstance(writer, Fixed):
            return _name_problems(reader, writer, path) + _fixed_problems(reader, writer, path)
        return None

    def _reader_union(self, reader: Union, writer: Node, path: str) -> list[Problem]:
        if isinstance(writer, Union):
            return [
                p for branch in writer.branches for p in self._reader_union(reader, branch, path)
            ]
        # Resolution picks the first reader branch that can read the writer's type.
        if any(not self.check(branch, writer, path) for branch in reader.branches):
            return []
        detail = f"reader union {describe(reader)} has no branch that reads {describe(writer)}"
        return [Problem("MISSING_UNION_BRANCH", path, detail)]

    def _record(self, reader: Record, writer: Record, path: str) -> list[Problem]:
        key = (id(reader), id(writer))
        if key in self.memo:
            return self.memo[key]  # [] while in progress: a recursive pair is assumed fine
        self.memo[key] = []
        problems = _name_problems(reader, writer, path)
        by_name = {f.name: f for f in writer.fields}
        for field in reader.fields:
            field_path = f"{path}.{field.name}" if path else field.name
            candidates = [field.name, *field.aliases]
            match = next((by_name[n] for n in candidates if n in by_name), None)
            if match is not None:
                problems += self.check(field.type, match.type, field_path)
            elif not field.has_default:
                detail = "is in the reader but not in the writer, and has no default"
                problems.append(Problem("READER_FIELD_MISSING_DEFAULT_VALUE", field_path, detail))
        self.memo[key] = problems
        return problems


def _child(node: Array | Map) -> tuple[Node, str]:
    return (node.items, "[]") if isinstance(node, Array) else (node.values, "{}")


def _name_problems(
    reader: Record | Enum | Fixed, writer: Record | Enum | Fixed, path: str
) -> list[Problem]:
    # Java compares unqualified names, or accepts the writer's full name as a reader alias.
    if reader.name == writer.name or writer.fullname in reader.aliases:
        return []
    detail = (
        f"reader type {reader.fullname} does not match writer type {writer.fullname} "
        "(neither the name nor a reader alias)"
    )
    return [Problem("NAME_MISMATCH", path, detail)]


def _enum_problems(reader: Enum, writer: Enum, path: str) -> list[Problem]:
    missing = [s for s in writer.symbols if s not in reader.symbols]
    if not missing or reader.default is not None:
        return []
    detail = f"reader enum {reader.fullname} lacks writer symbols {missing} and has no default"
    return [Problem("MISSING_ENUM_SYMBOLS", path, detail)]


def _fixed_problems(reader: Fixed, writer: Fixed, path: str) -> list[Problem]:
    if reader.size == writer.size:
        return []
    detail = f"fixed {reader.fullname} has size {reader.size}, writer's has {writer.size}"
    return [Problem("FIXED_SIZE_MISMATCH", path, detail)]
