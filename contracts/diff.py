"""Field-level differences between two versions of an Avro record schema.

This module owns what `ugc schemas diff` reports: every field of the record, and of the
records nested in it (`context.locale`, `filters.genres`), is flattened to a dotted path with
its type, default and doc, and two schemas are compared path by path. A field is *added*,
*removed*, *renamed* (the new field lists the old name in its `aliases`), or has its *type*,
*default* or *doc* changed. Both sides are read into the typed Avro tree, which resolves
names as Avro does, so the registry's canonical text and the local file compare equal when
they mean the same schema. The registry decides
compatibility; this module only describes the change.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from registry.client.avro.parse import record_tree
from registry.client.avro.types import (
    Array,
    Enum,
    Fixed,
    Map,
    Node,
    Primitive,
    Record,
    Union,
    Visitor,
)

_LOGICAL_EXTRAS = ("precision", "scale")


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    RENAMED = "renamed"
    TYPE_CHANGED = "type changed"
    DEFAULT_CHANGED = "default changed"
    DOC_CHANGED = "doc changed"


@dataclass(frozen=True)
class FieldChange:
    """One difference at one field path; `old`/`new` are readable, None when absent."""

    kind: ChangeKind
    path: str
    old: str | None = None
    new: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"change": self.kind.value, "field": self.path, "old": self.old, "new": self.new}

    def __str__(self) -> str:
        if self.kind is ChangeKind.ADDED:
            return f"added {self.path}: {self.new}"
        if self.kind is ChangeKind.REMOVED:
            return f"removed {self.path}: {self.old}"
        old = "(none)" if self.old is None else self.old
        new = "(none)" if self.new is None else self.new
        return f"{self.kind.value} {self.path}: {old} -> {new}"


@dataclass(frozen=True)
class FieldInfo:
    """A field as the diff sees it."""

    path: str
    type_label: str
    type_key: str
    """Canonical JSON of the type, nested records by name: equal keys, equal types."""
    default: str | None
    """The default as JSON text; None when the field has no default."""
    doc: str | None
    aliases: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        if self.default is None:
            return self.type_label
        return f"{self.type_label} (default {self.default})"


def diff_schemas(
    old: str | Mapping[str, Any] | None,
    new: str | Mapping[str, Any] | None,
    *,
    docs: bool = True,
) -> list[FieldChange]:
    """What changed from `old` to `new`, in the new schema's field order, removals last.

    Either side may be None (nothing registered yet: every field is added). `docs=False`
    leaves out documentation-only changes.
    """
    before = flatten_fields(old) if old is not None else {}
    after = flatten_fields(new) if new is not None else {}
    renamed = _renames(before, after)
    changes: list[FieldChange] = []
    for path, field in after.items():
        if path in renamed:
            changes.append(FieldChange(ChangeKind.RENAMED, path, renamed[path], path))
            changes.extend(_field_changes(before[renamed[path]], field, docs, path))
        elif path in before:
            changes.extend(_field_changes(before[path], field, docs, path))
        else:
            changes.append(FieldChange(ChangeKind.ADDED, path, None, field.summary))
    gone = set(renamed.values())
    for path, field in before.items():
        if path not in after and path not in gone:
            changes.append(FieldChange(ChangeKind.REMOVED, path, field.summary, None))
    return changes


def _field_changes(old: FieldInfo, new: FieldInfo, docs: bool, path: str) -> Iterator[FieldChange]:
    if old.type_key != new.type_key:
        yield FieldChange(ChangeKind.TYPE_CHANGED, path, old.type_label, new.type_label)
    if old.default != new.default:
        yield FieldChange(ChangeKind.DEFAULT_CHANGED, path, old.default, new.default)
    if docs and old.doc != new.doc:
        yield FieldChange(ChangeKind.DOC_CHANGED, path, old.doc, new.doc)


def _renames(before: Mapping[str, FieldInfo], after: Mapping[str, FieldInfo]) -> dict[str, str]:
    """New path -> old path, for a new field whose aliases name a field that disappeared."""
    renamed: dict[str, str] = {}
    for path, field in after.items():
        if path in before:
            continue
        parent = path.rpartition(".")[0]
        for alias in field.aliases:
            old_path = f"{parent}.{alias}" if parent else alias
            if old_path in before and old_path not in after:
                renamed[path] = old_path
                break
    return renamed


def flatten_fields(schema: str | Mapping[str, Any]) -> dict[str, FieldInfo]:
    """Every field of the record `schema` and of the records nested in it, by dotted path."""
    fields: dict[str, FieldInfo] = {}
    _flatten(record_tree(schema), "", fields, (), _Type())
    return fields


def _flatten(
    record: Record,
    prefix: str,
    out: dict[str, FieldInfo],
    inside: tuple[str, ...],
    types: _Type,
) -> None:
    inside = (*inside, record.fullname)
    for field in record.fields:
        path = f"{prefix}{field.name}"
        label, key = types.visit(field.type)
        out[path] = FieldInfo(
            path=path,
            type_label=label,
            type_key=json.dumps(key, sort_keys=True),
            default=json.dumps(field.default, sort_keys=True) if field.has_default else None,
            doc=field.doc,
            aliases=tuple(field.aliases),
        )
        for suffix, nested in _nested_records(field.type):
            if nested.fullname not in inside:  # a recursive type: stop at one level
                _flatten(nested, f"{path}{suffix}.", out, inside, types)


def _nested_records(node: Node) -> Iterator[tuple[str, Record]]:
    """Records a field's values can hold, with the path suffix that leads into them."""
    if isinstance(node, Record):
        yield "", node
    elif isinstance(node, Union):
        for branch in node.branches:
            yield from _nested_records(branch)
    elif isinstance(node, Array | Map):
        inner, step = (node.items, "[]") if isinstance(node, Array) else (node.values, "{}")
        for suffix, nested in _nested_records(inner):
            yield step + suffix, nested


class _Type(Visitor[tuple[str, Any]]):
    """A type as a person reads it (`null | string (uuid)`, `enum ugc.Platform {…}`) and its
    canonical key: records by name (their fields are compared apart); equal keys, equal types."""

    def primitive(self, node: Primitive) -> tuple[str, Any]:
        logical = _logical(node.props)
        if not logical:
            return node.type, node.type
        extras = ",".join(str(logical[k]) for k in _LOGICAL_EXTRAS if k in logical)
        label = f"{node.type} ({logical['logicalType']}{' ' + extras if extras else ''})"
        return label, {"type": node.type, **logical}

    def record(self, node: Record) -> tuple[str, Any]:
        return f"record {node.fullname}", {"record": node.fullname}

    def enum(self, node: Enum) -> tuple[str, Any]:
        key = {"enum": node.fullname, "symbols": node.symbols, "default": node.default}
        return f"enum {node.fullname} {{{', '.join(node.symbols)}}}", key

    def fixed(self, node: Fixed) -> tuple[str, Any]:
        key = {"fixed": node.fullname, "size": node.size, **_logical(node.props)}
        return f"fixed {node.fullname}({node.size})", key

    def array(self, node: Array) -> tuple[str, Any]:
        label, key = self.visit(node.items)
        return f"array<{label}>", {"array": key}

    def map(self, node: Map) -> tuple[str, Any]:
        label, key = self.visit(node.values)
        return f"map<{label}>", {"map": key}

    def union(self, node: Union) -> tuple[str, Any]:
        parts = [self.visit(branch) for branch in node.branches]
        return " | ".join(label for label, _ in parts), [key for _, key in parts]


def _logical(props: Mapping[str, Any]) -> dict[str, Any]:
    if "logicalType" not in props:
        return {}
    return {key: props[key] for key in ("logicalType", *_LOGICAL_EXTRAS) if key in props}
