"""The schemas pages' service: subjects with their latest version and compatibility level,
one subject's versions, a field-by-field side-by-side diff of two versions, changing the
level, and checking a pasted schema against the registry (its verbose messages verbatim).

Every registry failure is translated once, here: the registry not answering becomes
`RegistryUnavailableError`, an unknown subject or version `NotFoundError`, a refused
request (a schema that is not valid Avro) `BadInputError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from contracts.diff import ChangeKind, FieldInfo, diff_schemas, flatten_fields
from registry.client.errors import (
    InvalidRequestError,
    RegistryAuthError,
    RegistryError,
)
from registry.client.errors import (
    NotFoundError as RegistryNotFoundError,
)
from registry.client.errors import (
    RegistryUnavailableError as ClientUnavailableError,
)
from registry.client.models import CompatibilityLevel, RegisteredSchema, Subject, Version
from registry.client.protocol import CompatibilityResult, SchemaRegistry
from services.console.errors import (
    BadInputError,
    ConsoleError,
    ForbiddenError,
    NotFoundError,
    RegistryUnavailableError,
)


def from_registry(exc: RegistryError, doing: str) -> ConsoleError:
    """The console error for a registry failure while `doing` something."""
    if isinstance(exc, ClientUnavailableError):
        return RegistryUnavailableError(f"{doing}: the registry did not answer: {exc}")
    if isinstance(exc, RegistryNotFoundError):
        return NotFoundError(f"{doing}: {exc}")
    if isinstance(exc, InvalidRequestError):
        return BadInputError(f"{doing}: {exc}")
    if isinstance(exc, RegistryAuthError):
        return ForbiddenError(f"{doing}: the registry refused our credentials: {exc}")
    return ConsoleError(f"{doing}: {exc}")


@contextmanager
def registry_call(doing: str) -> Iterator[None]:
    try:
        yield
    except RegistryError as exc:
        raise from_registry(exc, doing) from exc


@dataclass(frozen=True)
class SubjectSummary:
    subject: Subject
    latest: RegisteredSchema
    versions: int
    level: CompatibilityLevel


@dataclass(frozen=True)
class DiffRow:
    path: str
    left: FieldInfo | None
    right: FieldInfo | None
    changes: tuple[str, ...]


@dataclass(frozen=True)
class SchemaDiff:
    subject: Subject
    left: RegisteredSchema
    right: RegisteredSchema
    rows: tuple[DiffRow, ...]
    left_text: str
    right_text: str

    @property
    def changed(self) -> int:
        return sum(1 for row in self.rows if row.changes)


def pretty_schema(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


class SchemaService:
    def __init__(self, registry: SchemaRegistry) -> None:
        self.registry = registry

    def subjects(self) -> list[SubjectSummary]:
        with registry_call("listing subjects"):
            summaries = []
            for subject in self.registry.list_subjects():
                versions = self.registry.list_versions(subject)
                summaries.append(
                    SubjectSummary(
                        subject,
                        self.registry.get_latest(subject),
                        len(versions),
                        self.registry.get_compatibility(subject),
                    )
                )
            return summaries

    def versions(self, subject: Subject) -> list[RegisteredSchema]:
        with registry_call(f"reading subject {subject!r}"):
            return [
                self.registry.get_version(subject, v) for v in self.registry.list_versions(subject)
            ]

    def level(self, subject: Subject) -> CompatibilityLevel:
        with registry_call(f"reading the compatibility level of {subject!r}"):
            return self.registry.get_compatibility(subject)

    def set_level(self, subject: Subject, text: str) -> CompatibilityLevel:
        try:
            level = CompatibilityLevel.parse(text)
        except ValueError:
            known = ", ".join(level.value for level in CompatibilityLevel)
            raise BadInputError(f"unknown compatibility level {text!r}; one of {known}") from None
        with registry_call(f"setting the compatibility level of {subject!r}"):
            return self.registry.set_compatibility(level, subject)

    def check(self, subject: Subject, schema: str, against_all: bool) -> CompatibilityResult:
        """The registry's verdict on `schema`, against the latest version or all of them."""
        if not schema.strip():
            raise BadInputError("paste a schema to check")
        try:
            json.loads(schema)
        except ValueError as exc:
            raise BadInputError(f"the schema is not JSON: {exc}") from exc
        version: Literal["latest"] | None = None if against_all else "latest"
        with registry_call(f"checking a schema against {subject!r}"):
            return self.registry.test_compatibility(subject, schema, version)

    def diff(self, subject: Subject, left: Version, right: Version) -> SchemaDiff:
        with registry_call(f"reading versions of {subject!r}"):
            old = self.registry.get_version(subject, left)
            new = self.registry.get_version(subject, right)
        try:
            before, after = flatten_fields(old.schema), flatten_fields(new.schema)
            changes = diff_schemas(old.schema, new.schema)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInputError(f"these versions are not record schemas: {exc}") from exc
        by_path: dict[str, list[str]] = {}
        for change in changes:
            by_path.setdefault(change.path, []).append(str(change))
            if change.kind is ChangeKind.RENAMED and change.old is not None:
                by_path.setdefault(change.old, []).append(str(change))
        order = list(after) + [path for path in before if path not in after]
        rows = tuple(
            DiffRow(path, before.get(path), after.get(path), tuple(by_path.get(path, ())))
            for path in order
        )
        return SchemaDiff(
            subject, old, new, rows, pretty_schema(old.schema), pretty_schema(new.schema)
        )


def parse_version(text: str | None, what: str, default: Callable[[], Version]) -> Version:
    if text is None or text == "":
        return default()
    try:
        version = int(text)
    except ValueError:
        raise BadInputError(f"{what} must be a version number, got {text!r}") from None
    if version < 1:
        raise BadInputError(f"{what} must be 1 or more, got {version}")
    return Version(version)
