"""`InMemoryRegistry`: a schema registry in a dictionary, for unit tests.

It implements `SchemaRegistry` with the registry's semantics (one id per distinct schema
across subjects, versions per subject, idempotent registration, soft and permanent deletes,
compatibility levels checked with Apache Avro's `ReaderWriterCompatibilityChecker`, global
default BACKWARD) and raises the same `registry.client.errors` classes as `RegistryClient`.
Where it simplifies, it says so: schema identity is the JSON parsed and dumped compactly with
sorted keys, where the real server uses Avro's canonical form (so `{"type": "string"}` and
`"string"` get two ids here and one there); schemas must be Avro; modes are not enforced
beyond READONLY. `tests/contract/registry_contract.py` keeps it honest against the server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import avro.errors
import avro.name
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from registry.client import errors
from registry.client.models import (
    CompatibilityLevel,
    Mode,
    RegisteredSchema,
    SchemaId,
    SchemaReference,
    Subject,
    Version,
)
from registry.client.protocol import CompatibilityResult, Latest, SchemaDefinition


@dataclass
class _Entry:
    """One version of a subject."""

    schema_id: SchemaId
    deleted: bool = False


@dataclass(frozen=True)
class _Stored:
    text: str  # the normalised text, which is what get_schema answers
    references: tuple[SchemaReference, ...]


def _normalise(schema: str) -> str:
    try:
        return json.dumps(json.loads(schema), sort_keys=True, separators=(",", ":"))
    except ValueError as exc:
        raise errors.InvalidSchemaError.answer(f"schema is not JSON: {exc}") from exc


def _incompatibility_messages(
    reader: avro.schema.Schema, writer: avro.schema.Schema, label: str
) -> list[str]:
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]  # untyped __init__
    result = checker.get_compatibility(reader=reader, writer=writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted(kind.value for kind in result.incompatibilities))
    where = ", ".join(sorted(result.locations))
    names = ", ".join(sorted(result.messages))
    return [f"{label}: {kinds} at {where} ({names})"]


class InMemoryRegistry:
    """A single-process registry that keeps everything in memory. Not thread-safe."""

    def __init__(self, default_level: CompatibilityLevel = CompatibilityLevel.BACKWARD) -> None:
        self._global_level = default_level
        self._levels: dict[Subject, CompatibilityLevel] = {}
        self._mode = Mode.READWRITE
        self._schemas: dict[SchemaId, _Stored] = {}
        self._ids: dict[tuple[str, tuple[SchemaReference, ...]], SchemaId] = {}
        self._subjects: dict[Subject, dict[Version, _Entry]] = {}

    # Lookups shared by the public methods.

    def _live(self, subject: Subject) -> dict[Version, _Entry]:
        live = {v: e for v, e in self._subjects.get(subject, {}).items() if not e.deleted}
        if not live:
            raise errors.SubjectNotFoundError.answer(f"subject {subject!r} not found")
        return live

    def _resolve_version(self, subject: Subject, version: Version | Latest) -> Version:
        live = self._live(subject)
        if version in ("latest", -1):
            return max(live)
        if version not in live:
            raise errors.VersionNotFoundError.answer(f"version {version} of {subject!r} not found")
        return Version(int(version))

    def _registered(self, subject: Subject, version: Version) -> RegisteredSchema:
        schema_id = self._subjects[subject][version].schema_id
        stored = self._schemas[schema_id]
        return RegisteredSchema(
            schema_id, subject, version, stored.text, references=stored.references
        )

    def _parse(self, schema: str, references: Sequence[SchemaReference]) -> avro.schema.Schema:
        """The Avro schema, with the named types of its references (depth-first) in scope."""
        names = avro.name.Names()
        try:
            for reference in references:
                self._parse_into(names, reference)
            return avro.schema.make_avsc_object(json.loads(schema), names)
        except (avro.errors.AvroException, ValueError, TypeError) as exc:
            raise errors.InvalidSchemaError.answer(f"invalid Avro schema: {exc}") from exc

    def _parse_into(self, names: avro.name.Names, reference: SchemaReference) -> None:
        registered = self.get_version(reference.subject, reference.version)
        for nested in registered.references:
            self._parse_into(names, nested)
        if not names.has_name(reference.name, None):
            avro.schema.make_avsc_object(json.loads(registered.schema), names)

    def _level(self, subject: Subject) -> CompatibilityLevel:
        return self._levels.get(subject, self._global_level)

    def _check(
        self,
        level: CompatibilityLevel,
        candidate: avro.schema.Schema,
        subject: Subject,
        versions: Sequence[Version],
    ) -> list[str]:
        """Messages saying why `candidate` breaks `level` against `versions`; [] if it does not."""
        messages: list[str] = []
        for version in versions:
            stored = self._registered(subject, version)
            old = self._parse(stored.schema, stored.references)
            if level.backward:
                label = f"{level} against version {version}: new schema cannot read old data"
                messages += _incompatibility_messages(candidate, old, label)
            if level.forward:
                label = f"{level} against version {version}: old schema cannot read new data"
                messages += _incompatibility_messages(old, candidate, label)
        return messages

    def _writable(self) -> None:
        if self._mode is Mode.READONLY:
            raise errors.OperationNotPermittedError.answer("the registry is in READONLY mode")

    # SchemaRegistry.

    def register(
        self,
        subject: Subject,
        schema: str,
        *,
        references: Sequence[SchemaReference] = (),
        normalize: bool = False,
    ) -> SchemaId:
        self._writable()
        refs = tuple(references)
        parsed = self._parse(schema, refs)
        key = (_normalise(schema), refs)
        versions = self._subjects.setdefault(subject, {})
        for entry in versions.values():
            if not entry.deleted and self._ids.get(key) == entry.schema_id:
                return entry.schema_id
        level = self._level(subject)
        live = sorted(v for v, e in versions.items() if not e.deleted)
        against = live if level.transitive else live[-1:]
        if level is not CompatibilityLevel.NONE and (
            messages := self._check(level, parsed, subject, against)
        ):
            raise errors.IncompatibleSchemaError.answer("; ".join(messages))
        schema_id = self._ids.get(key)
        if schema_id is None:
            schema_id = SchemaId(max(self._schemas, default=0) + 1)
            self._ids[key] = schema_id
            self._schemas[schema_id] = _Stored(key[0], refs)
        versions[Version(max(versions, default=0) + 1)] = _Entry(schema_id)
        return schema_id

    def lookup(
        self, subject: Subject, schema: str, references: Sequence[SchemaReference] = ()
    ) -> RegisteredSchema:
        live = self._live(subject)
        schema_id = self._ids.get((_normalise(schema), tuple(references)))
        for version, entry in sorted(live.items()):
            if entry.schema_id == schema_id:
                return self._registered(subject, version)
        raise errors.SchemaNotFoundError.answer(f"schema not found under {subject!r}")

    def get_schema_by_id(self, schema_id: SchemaId) -> SchemaDefinition:
        stored = self._schemas.get(schema_id)
        if stored is None:
            raise errors.SchemaNotFoundError.answer(f"schema {schema_id} not found")
        return SchemaDefinition(stored.text, references=stored.references)

    def get_schema(self, schema_id: SchemaId) -> str:
        return self.get_schema_by_id(schema_id).schema

    def get_subject_versions(self, schema_id: SchemaId) -> list[tuple[Subject, Version]]:
        """Every live (subject, version) that holds the schema with this id."""
        if schema_id not in self._schemas:
            raise errors.SchemaNotFoundError.answer(f"schema {schema_id} not found")
        return sorted(
            (subject, version)
            for subject, versions in self._subjects.items()
            for version, entry in versions.items()
            if entry.schema_id == schema_id and not entry.deleted
        )

    def get_version(self, subject: Subject, version: Version | Latest) -> RegisteredSchema:
        return self._registered(subject, self._resolve_version(subject, version))

    def get_latest(self, subject: Subject) -> RegisteredSchema:
        return self.get_version(subject, "latest")

    def list_subjects(self, prefix: str | None = None, *, deleted: bool = False) -> list[Subject]:
        return sorted(
            subject
            for subject, versions in self._subjects.items()
            if subject.startswith(prefix or "")
            and any(deleted or not entry.deleted for entry in versions.values())
        )

    def list_versions(self, subject: Subject) -> list[Version]:
        return sorted(self._live(subject))

    def delete_subject(self, subject: Subject, *, permanent: bool = False) -> list[Version]:
        self._writable()
        versions = self._subjects.get(subject)
        if not versions:
            raise errors.SubjectNotFoundError.answer(f"subject {subject!r} not found")
        live = sorted(v for v, e in versions.items() if not e.deleted)
        if permanent:
            if live:
                raise errors.SubjectNotSoftDeletedError.answer(
                    f"subject {subject!r} must be soft-deleted first"
                )
            del self._subjects[subject]
            return sorted(versions)
        if not live:
            raise errors.SubjectSoftDeletedError.answer(
                f"subject {subject!r} is already soft-deleted"
            )
        for version in live:
            versions[version].deleted = True
        return live

    def delete_version(
        self, subject: Subject, version: Version | Latest, *, permanent: bool = False
    ) -> Version:
        self._writable()
        versions = self._subjects.get(subject)
        if not versions:
            raise errors.SubjectNotFoundError.answer(f"subject {subject!r} not found")
        number = self._resolve_version(subject, version) if version == "latest" else version
        entry = versions.get(Version(int(number)))
        if entry is None:
            raise errors.VersionNotFoundError.answer(f"version {number} of {subject!r} not found")
        if permanent and not entry.deleted:
            raise errors.VersionNotSoftDeletedError.answer(
                f"version {number} must be soft-deleted first"
            )
        if not permanent and entry.deleted:
            raise errors.VersionSoftDeletedError.answer(f"version {number} is already soft-deleted")
        if permanent:
            del versions[Version(int(number))]
        entry.deleted = True
        return Version(int(number))

    def get_compatibility(self, subject: Subject | None = None) -> CompatibilityLevel:
        return self._global_level if subject is None else self._level(subject)

    def set_compatibility(
        self, level: CompatibilityLevel, subject: Subject | None = None
    ) -> CompatibilityLevel:
        self._writable()
        if subject is None:
            self._global_level = level
        else:
            self._levels[subject] = level
        return level

    def test_compatibility(
        self,
        subject: Subject,
        schema: str,
        version: Version | Latest | None = "latest",
        references: Sequence[SchemaReference] = (),
    ) -> CompatibilityResult:
        parsed = self._parse(schema, references)
        level = self._level(subject)
        has_live = any(not e.deleted for e in self._subjects.get(subject, {}).values())
        if version == "latest" and not has_live:
            return CompatibilityResult(True)  # nothing to be incompatible with
        if version is None:
            against = sorted(self._live(subject))
        else:
            against = [self._resolve_version(subject, version)]
        messages = self._check(level, parsed, subject, against)
        return CompatibilityResult(not messages, messages)

    def get_mode(self, subject: Subject | None = None) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode, subject: Subject | None = None) -> Mode:
        """Set the registry-wide mode; per-subject modes are not modelled by the fake."""
        self._mode = mode
        return mode
