"""The named types of `schemas/` and how one event's schema is made self-contained: this
module owns reading the `<full name>.avsc` files of a directory (`Sources`: one named type
per file, the file named after it) and the `Inliner`, which copies each type a schema uses
from its sibling file in at its first use and refers to it by full name afterwards, because
ClickHouse's AvroConfluent reader, kcat and several UIs cannot follow schema references.
Along the way it reports unknown and cyclic type names, fields declared twice and defaults
of the wrong type (`registry.client.defaults`) as `ContractProblem`s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.problems import ContractProblem
from registry.client.avro.names import PRIMITIVES, full_name
from registry.client.defaults import default_problem

__all__ = ["Inliner", "Source", "Sources", "read_json"]

_NAMED_KINDS = ("record", "error", "enum", "fixed")


@dataclass(frozen=True)
class Source:
    """One .avsc file and the named type it defines, as written."""

    path: Path
    definition: dict[str, Any]


class Sources:
    """The .avsc files of one directory, by the full name each defines."""

    def __init__(self, directory: Path, problems: list[ContractProblem]) -> None:
        self.directory = directory
        self.by_name: dict[str, Source] = {}
        self.broken: set[str] = set()  # their own problem is reported; no second one
        for path in sorted(directory.glob("*.avsc")):
            definition = read_json(path, problems)
            if definition is None or not _check_named(path, definition, problems):
                self.broken.add(path.stem)
            else:
                self.by_name[path.stem] = Source(path, definition)

    def file_names(self) -> str:
        names = sorted(source.path.name for source in self.by_name.values())
        return ", ".join(names) if names else "none"


def read_json(path: Path, problems: list[ContractProblem]) -> Any:
    """The JSON in `path`, or None with the reason appended to `problems`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        problems.append(ContractProblem(path, f"invalid JSON at {where}: {exc.msg}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ContractProblem(path, f"cannot read the file: {exc}"))
    return None


def _check_named(path: Path, definition: Any, problems: list[ContractProblem]) -> bool:
    """A schema file defines one named type, and is named after its full name."""
    if not isinstance(definition, dict) or definition.get("type") not in _NAMED_KINDS:
        message = "must define one named type (a record, enum or fixed)"
        problems.append(ContractProblem(path, message))
        return False
    name = definition.get("name")
    if not isinstance(name, str) or not name:
        problems.append(ContractProblem(path, "the type has no name"))
        return False
    defined = full_name(name, definition.get("namespace"), "")
    if defined != path.stem:
        message = f"defines {defined!r}, so the file must be named {defined}.avsc"
        problems.append(ContractProblem(path, message))
        return False
    return True


class Inliner:
    """Builds one self-contained schema: a type from a sibling file is copied in at its
    first use and referred to by full name afterwards, as Avro parsers expect. Every
    named definition gets an explicit namespace, so moving it into a record of another
    namespace cannot change its full name."""

    def __init__(self, sources: Sources, problems: list[ContractProblem]) -> None:
        self.sources = sources
        self.problems = problems
        self.defined: dict[str, dict[str, Any]] = {}
        self.dependencies: list[str] = []
        self.stack: list[str] = []  # records whose fields are being walked
        self.blocked = False  # set when a type comes from a file that failed to load

    def inline(self, source: Source) -> dict[str, Any]:
        return self.named(source.definition, "", source.path)

    def walk(self, avro: Any, namespace: str, file: Path) -> Any:
        if isinstance(avro, list):
            return [self.walk(branch, namespace, file) for branch in avro]
        if isinstance(avro, str):
            return self.reference(avro, namespace, file)
        if not isinstance(avro, dict) or "type" not in avro:
            self.problems.append(ContractProblem(file, f"not an Avro type: {json.dumps(avro)}"))
            return avro
        return self.walk_complex(avro, namespace, file)

    def walk_complex(self, avro: dict[str, Any], namespace: str, file: Path) -> Any:
        kind = avro["type"]
        if kind in _NAMED_KINDS:
            return self.named(avro, namespace, file)
        if kind in ("array", "map"):
            key = "items" if kind == "array" else "values"
            return {**avro, key: self.walk(avro.get(key), namespace, file)}
        if kind in PRIMITIVES:
            return avro
        # {"type": "ugc.Context"} and the like: a wrapper around a reference or a union.
        return self.walk(kind, namespace, file)

    def named(self, avro: dict[str, Any], enclosing: str, file: Path) -> dict[str, Any]:
        name = full_name(str(avro.get("name")), avro.get("namespace"), enclosing)
        namespace, _, short = name.rpartition(".")
        out = {**avro, "name": short, "namespace": namespace}
        self.defined[name] = out
        if avro["type"] in ("record", "error"):
            self.check_field_names(name, avro.get("fields", []), file)
            self.stack.append(name)
            out["fields"] = [self.field(spec, name, file) for spec in avro.get("fields", [])]
            self.stack.pop()
        return out

    def check_field_names(self, record: str, specs: Any, file: Path) -> None:
        # fastavro accepts two fields of one name; the registry and Java clients do not.
        names = [spec.get("name") for spec in specs if isinstance(spec, dict)]
        for twice in sorted({str(n) for n in names if names.count(n) > 1}):
            self.problems.append(
                ContractProblem(file, f"{record}: field {twice!r} is declared twice")
            )

    def field(self, spec: Any, record: str, file: Path) -> Any:
        if not isinstance(spec, dict) or "type" not in spec:
            self.problems.append(
                ContractProblem(file, f"{record}: a field needs a name and a type")
            )
            return spec
        namespace = record.rpartition(".")[0]
        out = {**spec, "type": self.walk(spec["type"], namespace, file)}
        if "default" in spec:
            problem = default_problem(out["type"], spec["default"], self.defined, namespace)
            if problem:
                where = f"field {record}.{spec.get('name')}"
                message = f"{where}: default {json.dumps(spec['default'])} {problem}"
                self.problems.append(ContractProblem(file, message))
        return out

    def reference(self, name: str, namespace: str, file: Path) -> Any:
        if name in PRIMITIVES:
            return name
        candidates = list(dict.fromkeys([full_name(name, None, namespace), name]))
        for candidate in candidates:
            if candidate in self.stack:
                cycle = " -> ".join([*self.stack[self.stack.index(candidate) :], candidate])
                message = (
                    f"named types refer to each other in a cycle ({cycle}); contracts must "
                    "be trees, since a warehouse table cannot hold a recursive type"
                )
                self.problems.append(ContractProblem(file, message))
                return candidate
            if candidate in self.sources.broken:
                self.blocked = True  # the broken file has its own problem reported
                return candidate
            if candidate in self.defined:
                return candidate
            if candidate in self.sources.by_name:
                self.dependencies.append(candidate)
                return self.inline(self.sources.by_name[candidate])
        looked_for = " or ".join(f"{candidate}.avsc" for candidate in candidates)
        message = (
            f"unknown type {name!r}: looked for {looked_for} in {self.sources.directory} "
            f"among its .avsc files ({self.sources.file_names()})"
        )
        self.problems.append(ContractProblem(file, message))
        return name
