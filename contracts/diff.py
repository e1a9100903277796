"""Field-level differences between two versions of an Avro record schema.

This module owns what `ugc schemas diff` reports: every field of the record, and of the
records nested in it (`context.locale`, `filters.genres`), is flattened to a dotted path with
its type, default and doc, and two schemas are compared path by path. A field is *added*,
*removed*, *renamed* (the new field lists the old name in its `aliases`), or has its *type*,
*default* or *doc* changed. Named types are resolved the way Avro resolves them (enclosing
namespace, defined once and referred to by name afterwards), so the registry's canonical
text and the local file compare equal when they mean the same schema. The registry decides
compatibility; this module only describes the change.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ChangeKind", "FieldChange", "FieldInfo", "diff_schemas", "flatten_fields"]

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
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
    parsed = json.loads(schema) if isinstance(schema, str) else schema
    types = _Types()
    types.define(parsed, "")
    root = types.resolve(parsed, "")
    if not isinstance(root, Mapping) or root.get("type") not in ("record", "error"):
        raise ValueError("a field-level diff needs a record schema")
    fields: dict[str, FieldInfo] = {}
    types.flatten(root, "", fields, ())
    return fields


class _Types:
    """The named types of one schema, by full name, each with its namespace made explicit."""

    def __init__(self) -> None:
        self.named: dict[str, dict[str, Any]] = {}

    def define(self, avro: Any, namespace: str) -> None:
        """Record every named definition found anywhere in `avro`."""
        if isinstance(avro, list):
            for branch in avro:
                self.define(branch, namespace)
            return
        if not isinstance(avro, Mapping):
            return
        kind = avro.get("type")
        if kind in _NAMED:
            name = _full_name(str(avro.get("name")), avro.get("namespace"), namespace)
            inner = name.rpartition(".")[0]
            self.named[name] = {**avro, "name": name, "namespace": inner}
            for spec in avro.get("fields", []) if kind in ("record", "error") else []:
                self.define(spec.get("type"), inner)
        elif kind in ("array", "map"):
            self.define(avro.get("items" if kind == "array" else "values"), namespace)
        elif not isinstance(kind, str) or kind not in _PRIMITIVES:
            self.define(kind, namespace)

    def resolve(self, avro: Any, namespace: str) -> Any:
        """`avro` with a reference by name replaced by the named definition."""
        if isinstance(avro, str) and avro not in _PRIMITIVES:
            found = self.named.get(_full_name(avro, None, namespace)) or self.named.get(avro)
            return found if found is not None else avro
        if isinstance(avro, Mapping):
            kind = avro.get("type")
            if kind in _NAMED:
                name = _full_name(str(avro.get("name")), avro.get("namespace"), namespace)
                return self.named.get(name, avro)
            if isinstance(kind, str | list) and kind not in _PRIMITIVES | {"array", "map"}:
                return self.resolve(kind, namespace)  # {"type": "ugc.Context"}, a wrapper
        return avro

    def flatten(
        self,
        record: Mapping[str, Any],
        prefix: str,
        out: dict[str, FieldInfo],
        inside: tuple[str, ...],
    ) -> None:
        namespace = str(record.get("namespace") or "")
        inside = (*inside, str(record.get("name")))
        for spec in record.get("fields", []):
            path = f"{prefix}{spec['name']}"
            avro = spec.get("type")
            out[path] = FieldInfo(
                path=path,
                type_label=self.label(avro, namespace),
                type_key=json.dumps(self.key(avro, namespace), sort_keys=True),
                default=json.dumps(spec["default"], sort_keys=True) if "default" in spec else None,
                doc=spec.get("doc"),
                aliases=tuple(spec.get("aliases", ())),
            )
            for suffix, nested in self.nested_records(avro, namespace):
                if nested.get("name") not in inside:  # a recursive type: stop at one level
                    self.flatten(nested, f"{path}{suffix}.", out, inside)

    def nested_records(self, avro: Any, namespace: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Records a field's values can hold, with the path suffix that leads into them."""
        avro = self.resolve(avro, namespace)
        if isinstance(avro, list):
            for branch in avro:
                yield from self.nested_records(branch, namespace)
        elif isinstance(avro, Mapping) and avro.get("type") in ("record", "error"):
            yield "", avro
        elif isinstance(avro, Mapping) and avro.get("type") in ("array", "map"):
            array = avro["type"] == "array"
            inner = avro.get("items" if array else "values")
            for suffix, nested in self.nested_records(inner, namespace):
                yield ("[]" if array else "{}") + suffix, nested

    def key(self, avro: Any, namespace: str) -> Any:
        """A canonical form of the type: records by name, their fields are compared apart."""
        avro = self.resolve(avro, namespace)
        if isinstance(avro, list):
            return [self.key(branch, namespace) for branch in avro]
        if not isinstance(avro, Mapping):
            return avro
        return self._mapping_key(avro, namespace)

    def _mapping_key(self, avro: Mapping[str, Any], namespace: str) -> Any:
        kind = avro.get("type")
        if kind in ("record", "error"):
            return {"record": avro["name"]}
        if kind == "enum":
            return {
                "enum": avro["name"],
                "symbols": avro.get("symbols"),
                "default": avro.get("default"),
            }
        if kind == "fixed":
            return {"fixed": avro["name"], "size": avro.get("size"), **_logical(avro)}
        if kind in ("array", "map"):
            inner = avro.get("items" if kind == "array" else "values")
            return {kind: self.key(inner, namespace)}
        return {"type": kind, **_logical(avro)} if "logicalType" in avro else kind

    def label(self, avro: Any, namespace: str) -> str:
        """The type as a person reads it: `null | string (uuid)`, `enum ugc.Platform {…}`."""
        avro = self.resolve(avro, namespace)
        if isinstance(avro, list):
            return " | ".join(self.label(branch, namespace) for branch in avro)
        if not isinstance(avro, Mapping):
            return str(avro)
        return self._mapping_label(avro, namespace)

    def _mapping_label(self, avro: Mapping[str, Any], namespace: str) -> str:
        kind = avro.get("type")
        if kind in ("record", "error"):
            return f"record {avro['name']}"
        if kind == "enum":
            return f"enum {avro['name']} {{{', '.join(avro.get('symbols', []))}}}"
        if kind == "fixed":
            return f"fixed {avro['name']}({avro.get('size')})"
        if kind in ("array", "map"):
            inner = self.label(avro.get("items" if kind == "array" else "values"), namespace)
            return f"{kind}<{inner}>"
        return _primitive_label(str(kind), _logical(avro))


def _primitive_label(kind: str, logical: Mapping[str, Any]) -> str:
    if not logical:
        return kind
    extras = ",".join(str(logical[k]) for k in _LOGICAL_EXTRAS if k in logical)
    return f"{kind} ({logical['logicalType']}{' ' + extras if extras else ''})"


def _logical(avro: Mapping[str, Any]) -> dict[str, Any]:
    if "logicalType" not in avro:
        return {}
    keys = ("logicalType", *_LOGICAL_EXTRAS)
    return {key: avro[key] for key in keys if key in avro}


def _full_name(name: str, namespace: Any, enclosing: str) -> str:
    if "." in name:
        return name
    space = namespace if isinstance(namespace, str) else enclosing
    return f"{space}.{name}" if space else name
