"""The local event contracts: this module owns reading `schemas/` — one named Avro type per
`<full name>.avsc` file and `manifest.toml`, one table per event type — into `Contract`s
whose schema is self-contained (every named type from a sibling file inlined at its first
use, because ClickHouse's AvroConfluent reader, kcat and several UIs cannot follow schema
references). It checks what a team can get wrong before anything reaches the registry:
JSON syntax, file names, unknown or cyclic type names, defaults of the wrong type (fastavro
checks only some), manifest keys and each example payload, and reports every problem of
every file in one `ContractError`, so one pass fixes them all.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException, UnknownType

from registry.client.models import CompatibilityLevel, Subject
from registry.client.payload import PRIMITIVES, PayloadError, full_name, json_type, to_datum

__all__ = [
    "CLIENT_OPTIONAL_FIELDS",
    "SERVER_OWNED_FIELDS",
    "Contract",
    "ContractError",
    "ContractProblem",
    "load_contracts",
    "load_named_types",
]

MANIFEST = "manifest.toml"
# Fields every event carries: the ETL keys rows and deduplicates on them.
COMMON_FIELDS = {
    "event_id": ("string", "uuid"),
    "user_id": ("string", "uuid"),
    "occurred_at": ("long", "timestamp-millis"),
    "received_at": ("long", "timestamp-millis"),
}
# The API sets these from the token and its clock; a client may not send them.
SERVER_OWNED_FIELDS = ("user_id", "received_at")
# The API fills these in when the client leaves them out.
CLIENT_OPTIONAL_FIELDS = ("event_id",)
DEFAULT_COMPATIBILITY = CompatibilityLevel.BACKWARD_TRANSITIVE

_NAMED_KINDS = ("record", "error", "enum", "fixed")
_REQUIRED_KEYS = ("schema", "subject", "topic", "owner", "description", "example")
_OPTIONAL_KEYS = ("compatibility",)
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*")
_INT_RANGES = {"int": 2**31, "long": 2**63}


@dataclass(frozen=True)
class ContractProblem:
    """One thing wrong with one file."""

    file: Path
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


class ContractError(Exception):
    """The contracts cannot be used; `problems` lists everything wrong, file by file."""

    def __init__(self, problems: Iterable[ContractProblem]) -> None:
        self.problems = tuple(dict.fromkeys(problems))  # one type inlined twice, one report
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the contracts:\n{lines}")


@dataclass(frozen=True)
class Contract:
    """One event type as the manifest and its schema files define it."""

    event_type: str
    subject: Subject
    topic: str
    compatibility: CompatibilityLevel
    owner: str
    description: str
    full_name: str
    source: Path
    schema: str
    """The self-contained schema as JSON text; the registry stores it as it is."""
    dependencies: tuple[str, ...]
    """Full names of the named types inlined from sibling files, in order of first use."""
    example: dict[str, Any]

    @property
    def parsed_schema(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.schema)
        return parsed


@dataclass(frozen=True)
class _Source:
    path: Path
    definition: dict[str, Any]


class _Sources:
    """The .avsc files of one directory, by the full name each defines."""

    def __init__(self, directory: Path, problems: list[ContractProblem]) -> None:
        self.directory = directory
        self.by_name: dict[str, _Source] = {}
        self.broken: set[str] = set()  # their own problem is reported; no second one
        for path in sorted(directory.glob("*.avsc")):
            definition = _read_json(path, problems)
            if definition is None or not _check_named(path, definition, problems):
                self.broken.add(path.stem)
            else:
                self.by_name[path.stem] = _Source(path, definition)

    def file_names(self) -> str:
        names = sorted(source.path.name for source in self.by_name.values())
        return ", ".join(names) if names else "none"


def _read_json(path: Path, problems: list[ContractProblem]) -> Any:
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


class _Inliner:
    """Builds one self-contained schema: a type from a sibling file is copied in at its
    first use and referred to by full name afterwards, as Avro parsers expect. Every
    named definition gets an explicit namespace, so moving it into a record of another
    namespace cannot change its full name."""

    def __init__(self, sources: _Sources, problems: list[ContractProblem]) -> None:
        self.sources = sources
        self.problems = problems
        self.defined: dict[str, dict[str, Any]] = {}
        self.dependencies: list[str] = []
        self.stack: list[str] = []  # records whose fields are being walked
        self.blocked = False  # set when a type comes from a file that failed to load

    def inline(self, source: _Source) -> dict[str, Any]:
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


def default_problem(
    avro: Any, value: Any, named: Mapping[str, Any], namespace: str = ""
) -> str | None:
    """Why `value` cannot be the default of a field of type `avro`, or None if it can.

    fastavro.parse_schema checks some defaults (a string for an int) but not others (the
    first branch of a union, enum symbols, array items, integer ranges), and Java clients
    and the compatibility checker refuse all of them, so the whole rule is checked here.
    """
    if isinstance(avro, list):
        return _union_default_problem(avro, value, named, namespace)
    if isinstance(avro, str):
        if avro in PRIMITIVES:
            return _primitive_default_problem(avro, value)
        definition = named.get(full_name(avro, None, namespace), named.get(avro))
        # An unknown type is reported on its own.
        return None if definition is None else default_problem(definition, value, named)
    if isinstance(avro, dict):
        return _complex_default_problem(avro, value, named, namespace)
    return None


def _union_default_problem(
    branches: list[Any], value: Any, named: Mapping[str, Any], namespace: str
) -> str | None:
    if not branches:
        return "is not allowed: the union is empty"
    if default_problem(branches[0], value, named, namespace) is None:
        return None
    first = _label(branches[0])
    return f"does not match the union's first branch {first!r} (Avro requires it to)"


def _complex_default_problem(
    avro: dict[str, Any], value: Any, named: Mapping[str, Any], namespace: str
) -> str | None:
    kind = avro.get("type")
    if kind == "enum":
        symbols = avro.get("symbols", [])
        return None if value in symbols else f"is not one of the symbols {', '.join(symbols)}"
    if kind == "fixed":
        ok = isinstance(value, str) and len(value) == avro.get("size")
        return None if ok else f"is not a string of {avro.get('size')} characters"
    if kind in ("array", "map"):
        return _container_default_problem(avro, value, named, namespace)
    if kind in ("record", "error"):
        return _record_default_problem(avro, value, named)
    return default_problem(kind, value, named, namespace)


def _container_default_problem(
    avro: dict[str, Any], value: Any, named: Mapping[str, Any], namespace: str
) -> str | None:
    if avro["type"] == "array":
        if not isinstance(value, list):
            return f"is not an array, it is {json_type(value)}"
        kind, members, noun = avro.get("items"), value, "an item"
    else:
        if not isinstance(value, dict):
            return f"is not an object, it is {json_type(value)}"
        kind, members, noun = avro.get("values"), list(value.values()), "a value"
    problems = (default_problem(kind, member, named, namespace) for member in members)
    return next((f"has {noun} that {problem}" for problem in problems if problem), None)


def _record_default_problem(
    avro: dict[str, Any], value: Any, named: Mapping[str, Any]
) -> str | None:
    if not isinstance(value, dict):
        return f"is not an object, it is {json_type(value)}"
    namespace = full_name(str(avro.get("name")), avro.get("namespace"), "").rpartition(".")[0]
    for spec in avro.get("fields", []):
        name = spec.get("name")
        if name in value:
            problem = default_problem(spec.get("type"), value[name], named, namespace)
            if problem:
                return f"has field {name!r} that {problem}"
        elif "default" not in spec:
            return f"lacks field {name!r}, which has no default of its own"
    return None


def _primitive_default_problem(kind: str, value: Any) -> str | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind in _INT_RANGES:
        article = "an" if kind == "int" else "a"
        if not isinstance(value, int) or isinstance(value, bool):
            return f"is not {article} {kind}"
        limit = _INT_RANGES[kind]
        return None if -limit <= value < limit else f"is out of the range of {article} {kind}"
    checks = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "float": is_number,
        "double": is_number,
        "string": isinstance(value, str),
        # Avro writes a bytes default as a string of code points 0-255.
        "bytes": isinstance(value, str) and all(ord(char) < 256 for char in value),
    }
    return None if checks[kind] else f"is not a {kind}"


def _label(avro: Any) -> str:
    if isinstance(avro, dict):
        return str(avro.get("name") or avro.get("logicalType") or avro.get("type"))
    return str(avro)


@dataclass(frozen=True)
class _Entry:
    event_type: str
    table: dict[str, str]
    compatibility: CompatibilityLevel


def load_named_types(schemas_dir: Path) -> dict[str, dict[str, Any]]:
    """Every named type defined in `schemas_dir`, as written, by full name."""
    problems: list[ContractProblem] = []
    sources = _Sources(schemas_dir, problems)
    if problems:
        raise ContractError(problems)
    return {name: source.definition for name, source in sources.by_name.items()}


def load_contracts(schemas_dir: Path) -> list[Contract]:
    """The event contracts of `schemas_dir`, in manifest order, or a ContractError that
    lists every problem found in every file."""
    problems: list[ContractProblem] = []
    sources = _Sources(schemas_dir, problems)
    contracts = []
    for entry in _read_manifest(schemas_dir / MANIFEST, problems):
        contract = _build_contract(entry, sources, problems)
        if contract is not None:
            contracts.append(contract)
    if problems:
        raise ContractError(problems)
    return contracts


def _read_manifest(path: Path, problems: list[ContractProblem]) -> list[_Entry]:
    try:
        manifest = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(ContractProblem(path, "the manifest is missing"))
        return []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problems.append(ContractProblem(path, f"cannot read the manifest: {exc}"))
        return []
    if not manifest:
        problems.append(ContractProblem(path, "the manifest declares no event types"))
    entries = []
    for event_type, table in manifest.items():
        messages = _entry_problems(event_type, table)
        problems.extend(ContractProblem(path, f"[{event_type}] {m}") for m in messages)
        if not messages:
            level = CompatibilityLevel.parse(table.get("compatibility", DEFAULT_COMPATIBILITY))
            entries.append(_Entry(event_type, table, level))
    return entries


def _entry_problems(event_type: str, table: Any) -> list[str]:
    if not isinstance(table, dict):
        return ["must be a table of keys"]
    messages = []
    if not _EVENT_TYPE.fullmatch(event_type):
        messages.append("the event type must be snake_case: lower-case letters, digits and _")
    missing = [key for key in _REQUIRED_KEYS if key not in table]
    if missing:
        messages.append(f"missing key{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    unknown = sorted(set(table) - {*_REQUIRED_KEYS, *_OPTIONAL_KEYS})
    if unknown:
        expected = ", ".join([*_REQUIRED_KEYS, *_OPTIONAL_KEYS])
        messages.append(f"unknown key {', '.join(unknown)}; the keys are {expected}")
    not_text = [key for key, value in table.items() if not isinstance(value, str)]
    messages.extend(f"{key} must be a string" for key in not_text)
    if messages:
        return messages
    return _naming_problems(event_type, table)


def _naming_problems(event_type: str, table: dict[str, str]) -> list[str]:
    """Topic and subject follow the platform's TopicNameStrategy convention."""
    messages = []
    topic = f"ugc.{event_type}"
    if table["topic"] != topic:
        messages.append(f"topic is {table['topic']!r}; an event type's topic is {topic!r}")
    if table["subject"] != f"{topic}-value":
        messages.append(f"subject is {table['subject']!r}; it must be '{topic}-value'")
    try:
        CompatibilityLevel.parse(table.get("compatibility", DEFAULT_COMPATIBILITY))
    except ValueError:
        levels = ", ".join(level.value for level in CompatibilityLevel)
        messages.append(f"compatibility {table['compatibility']!r} is not one of {levels}")
    return messages


def _build_contract(
    entry: _Entry, sources: _Sources, problems: list[ContractProblem]
) -> Contract | None:
    manifest = sources.directory / MANIFEST
    name, example_path = entry.table["schema"], sources.directory / entry.table["example"]
    source = sources.by_name.get(name)
    if source is None or source.definition["type"] != "record":
        if name not in sources.broken:
            reason = f"has no file {name}.avsc" if source is None else "is not a record"
            message = f"[{entry.event_type}] schema {name!r} {reason} in {sources.directory}"
            problems.append(ContractProblem(manifest, message))
        return None
    if not example_path.is_file():
        message = f"[{entry.event_type}] example file {entry.table['example']} does not exist"
        problems.append(ContractProblem(manifest, message))
    before = len(problems)
    inliner = _Inliner(sources, problems)
    schema = inliner.inline(source)
    if inliner.blocked:
        return None
    if len(problems) == before:
        _check_event_schema(source.path, schema, problems)
    if len(problems) != before or not example_path.is_file():
        return None
    example = _check_example(example_path, name, schema, problems)
    if example is None:
        return None
    return Contract(
        event_type=entry.event_type,
        subject=Subject(entry.table["subject"]),
        topic=entry.table["topic"],
        compatibility=entry.compatibility,
        owner=entry.table["owner"],
        description=entry.table["description"],
        full_name=name,
        source=source.path,
        schema=json.dumps(schema, separators=(",", ":")),
        dependencies=tuple(inliner.dependencies),
        example=example,
    )


def _check_event_schema(
    path: Path, schema: dict[str, Any], problems: list[ContractProblem]
) -> None:
    try:
        fastavro.parse_schema(json.loads(json.dumps(schema)))
    except (SchemaParseException, UnknownType, KeyError, TypeError, ValueError) as exc:
        problems.append(ContractProblem(path, f"not a valid Avro schema: {exc}"))
        return
    types = {spec.get("name"): spec.get("type") for spec in schema["fields"]}
    for name, (base, logical) in COMMON_FIELDS.items():
        found = types.get(name)
        if not isinstance(found, dict) or (found.get("type"), found.get("logicalType")) != (
            base,
            logical,
        ):
            expected = json.dumps({"type": base, "logicalType": logical})
            problems.append(
                ContractProblem(path, f"every event needs a field {name!r}: {expected}")
            )


def _check_example(
    path: Path, name: str, schema: dict[str, Any], problems: list[ContractProblem]
) -> dict[str, Any] | None:
    example = _read_json(path, problems)
    if example is None:
        return None
    try:
        to_datum(schema, example, server_owned=SERVER_OWNED_FIELDS, optional=CLIENT_OPTIONAL_FIELDS)
    except PayloadError as exc:
        for error in exc.errors:
            where = error["path"] or "the payload"
            message = f"example does not fit {name}: {where}: {error['message']}"
            problems.append(ContractProblem(path, message))
        return None
    return dict(example)
