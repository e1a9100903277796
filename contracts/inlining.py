"""The named types of `schemas/` and how one event's schema is made self-contained: this
module owns reading the `<full name>.avsc` files of a directory (`Sources`: one named type
per file, the file named after it) and the `Inliner`, which parses an event's file into the
typed Avro tree with each type it names from a sibling file parsed from that file, because
ClickHouse's AvroConfluent reader, kcat and several UIs cannot follow schema references.
Along the way it reports unknown and cyclic type names, fields declared twice and defaults
of the wrong type (`registry.client.avro.defaults`) as `ContractProblem`s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.problems import ContractProblem
from registry.client.avro.defaults import default_problem
from registry.client.avro.names import full_name
from registry.client.avro.parse import InvalidSchemaError, parse_json
from registry.client.avro.types import Named, Node, Record, children, named_types

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


class _RefusedError(Exception):
    """A schema that cannot be built; `problem` is None when the file at fault has its own
    problem reported already."""

    def __init__(self, problem: ContractProblem | None) -> None:
        super().__init__(str(problem))
        self.problem = problem


class Inliner:
    """Builds the type tree of one event's schema: a type from a sibling file is parsed
    from that file and used where it is named, so the tree is self-contained
    (`registry.client.avro.export` writes it out with each type defined once). Problems go
    to `problems`; `blocked` is set when a type comes from a file that failed to load."""

    def __init__(self, sources: Sources, problems: list[ContractProblem]) -> None:
        self.sources = sources
        self.problems = problems
        self.dependencies: list[str] = []
        self.blocked = False
        self._stack: list[Source] = []  # files being parsed, outermost first
        self._known: dict[str, Node] = {}  # named types of the sibling files parsed so far
        self._foreign: set[int] = set()  # ids of their roots: each file checks its own types

    def inline(self, source: Source) -> Record | None:
        try:
            root = self._parse(source)
        except _RefusedError as refused:
            if refused.problem is None:
                self.blocked = True
            else:
                self.problems.append(refused.problem)
            return None
        return root if isinstance(root, Record) else None

    def _parse(self, source: Source) -> Node:
        self._stack.append(source)
        try:
            root = parse_json(source.definition, strict=False, resolve=self._resolve)
        except InvalidSchemaError as exc:
            raise _RefusedError(ContractProblem(source.path, str(exc))) from exc
        finally:
            self._stack.pop()
        _check(root, source.path, self._foreign, self.problems)
        return root

    def _resolve(self, name: str, candidates: list[str]) -> Node | None:
        here = self._stack[-1].path
        parsing = [source.path.stem for source in self._stack]
        for candidate in candidates:
            if candidate in parsing:
                cycle = " -> ".join([*parsing[parsing.index(candidate) :], candidate])
                raise _RefusedError(ContractProblem(here, _cycle_message(cycle)))
            if candidate in self.sources.broken:
                raise _RefusedError(None)  # the broken file has its own problem reported
            if candidate in self._known:
                return self._known[candidate]
            if candidate in self.sources.by_name:
                self.dependencies.append(candidate)
                root = self._parse(self.sources.by_name[candidate])
                self._foreign.add(id(root))
                self._known.update(named_types(root))
                return root
        looked_for = " or ".join(f"{candidate}.avsc" for candidate in candidates)
        message = (
            f"unknown type {name!r}: looked for {looked_for} in {self.sources.directory} "
            f"among its .avsc files ({self.sources.file_names()})"
        )
        raise _RefusedError(ContractProblem(here, message))


def _cycle_message(cycle: str) -> str:
    return (
        f"named types refer to each other in a cycle ({cycle}); contracts must be trees, "
        "since a warehouse table cannot hold a recursive type"
    )


def _check(root: Node, file: Path, foreign: set[int], problems: list[ContractProblem]) -> None:
    """What the lenient parser lets through and the registry or Java clients refuse (a field
    declared twice, a default of the wrong type) and what a table cannot hold (a cycle), in
    the types defined in `file`."""
    inside: list[str] = []
    done: set[str] = set()

    def walk(node: Node) -> None:
        if id(node) in foreign:
            return
        if isinstance(node, Named):
            if node.fullname in inside:
                cycle = " -> ".join([*inside[inside.index(node.fullname) :], node.fullname])
                problems.append(ContractProblem(file, _cycle_message(cycle)))
            if node.fullname in inside or node.fullname in done:
                return
            done.add(node.fullname)
            inside.append(node.fullname)
        if isinstance(node, Record):
            _check_fields(node, file, problems)
        for child in children(node):
            walk(child)
        if isinstance(node, Named):
            inside.pop()

    walk(root)


def _check_fields(record: Record, file: Path, problems: list[ContractProblem]) -> None:
    names = [field.name for field in record.fields]
    for twice in sorted({name for name in names if names.count(name) > 1}):
        problems.append(
            ContractProblem(file, f"{record.fullname}: field {twice!r} is declared twice")
        )
    for field in record.fields:
        problem = default_problem(field.type, field.default) if field.has_default else None
        if problem:
            where = f"field {record.fullname}.{field.name}"
            message = f"{where}: default {json.dumps(field.default)} {problem}"
            problems.append(ContractProblem(file, message))
