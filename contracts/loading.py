"""The local event contracts: this module owns reading `schemas/` — one named Avro type per
`<full name>.avsc` file and `manifest.toml`, one table per event type — into `Contract`s
whose schema is self-contained (every named type from a sibling file inlined at its first
use, because ClickHouse's AvroConfluent reader, kcat and several UIs cannot follow schema
references; `contracts.inlining` does the reading and inlining, `registry.client.avro.defaults`
judges defaults). It checks what a team can get wrong before anything reaches the registry:
JSON syntax, file names, unknown or cyclic type names, defaults of the wrong type (fastavro
checks only some), manifest keys and each example payload, and reports every problem of
every file in one `ContractError`, so one pass fixes them all.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException, UnknownType

from contracts.conventions import (
    CLIENT_OPTIONAL_FIELDS,
    COMMON_FIELDS,
    DEFAULT_COMPATIBILITY,
    EVENT_TYPE,
    SERVER_OWNED_FIELDS,
    subject_of,
    topic_of,
)
from contracts.inlining import Inliner, Sources, read_json
from contracts.problems import ContractError, ContractProblem
from registry.client.avro.export import fastavro_schema
from registry.client.avro.types import Primitive, Record
from registry.client.models import CompatibilityLevel, Subject
from registry.client.payload import PayloadError, to_datum

MANIFEST = "manifest.toml"

_REQUIRED_KEYS = ("schema", "subject", "topic", "owner", "description", "example")
_OPTIONAL_KEYS = ("compatibility",)


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
class _Entry:
    event_type: str
    table: dict[str, str]
    compatibility: CompatibilityLevel


def load_named_types(schemas_dir: Path) -> dict[str, dict[str, Any]]:
    """Every named type defined in `schemas_dir`, as written, by full name."""
    problems: list[ContractProblem] = []
    sources = Sources(schemas_dir, problems)
    if problems:
        raise ContractError(problems)
    return {name: source.definition for name, source in sources.by_name.items()}


def load_contracts(schemas_dir: Path) -> list[Contract]:
    """The event contracts of `schemas_dir`, in manifest order, or a ContractError that
    lists every problem found in every file."""
    problems: list[ContractProblem] = []
    sources = Sources(schemas_dir, problems)
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
    if not EVENT_TYPE.fullmatch(event_type):
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
    topic, subject = topic_of(event_type), subject_of(event_type)
    if table["topic"] != topic:
        messages.append(f"topic is {table['topic']!r}; an event type's topic is {topic!r}")
    if table["subject"] != subject:
        messages.append(f"subject is {table['subject']!r}; it must be {subject!r}")
    try:
        CompatibilityLevel.parse(table.get("compatibility", DEFAULT_COMPATIBILITY))
    except ValueError:
        levels = ", ".join(level.value for level in CompatibilityLevel)
        messages.append(f"compatibility {table['compatibility']!r} is not one of {levels}")
    return messages


def _build_contract(
    entry: _Entry, sources: Sources, problems: list[ContractProblem]
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
    inliner = Inliner(sources, problems)
    root = inliner.inline(source)
    if root is None or inliner.blocked:
        return None
    schema = fastavro_schema(root)
    if len(problems) == before:
        _check_event_schema(source.path, root, schema, problems)
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
    path: Path, root: Record, schema: dict[str, Any], problems: list[ContractProblem]
) -> None:
    try:
        fastavro.parse_schema(json.loads(json.dumps(schema)))
    except (SchemaParseException, UnknownType, KeyError, TypeError, ValueError) as exc:
        problems.append(ContractProblem(path, f"not a valid Avro schema: {exc}"))
        return
    types = {field.name: field.type for field in root.fields}
    for name, (base, logical) in COMMON_FIELDS.items():
        found = types.get(name)
        if not isinstance(found, Primitive) or (found.type, found.logical) != (base, logical):
            expected = json.dumps({"type": base, "logicalType": logical})
            problems.append(
                ContractProblem(path, f"every event needs a field {name!r}: {expected}")
            )


def _check_example(
    path: Path, name: str, schema: dict[str, Any], problems: list[ContractProblem]
) -> dict[str, Any] | None:
    example = read_json(path, problems)
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
