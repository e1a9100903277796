"""The registry's behaviour, independent of HTTP: subjects, versions, ids, compatibility,
configs and modes, read from and written to a `SchemaStore`.

Routes parse requests into the arguments below and shape the answers; everything the
Confluent API promises about identity, versions and deletes is decided here (see
REGISTRY-API.md in the shared docs and NOTES.md beside this file). Schemas are identified
by (canonical text, type, references); an id is shared by every subject holding the same
schema; the canonical text is what we store and return.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from registry.client.avro.parse import InvalidSchemaError as SchemaSyntaxError
from registry.client.avro.parse import ParsedSchema, parse_schema
from registry.client.models import (
    MAX_VERSION,
    CompatibilityLevel,
    Mode,
    RegisteredSchema,
    SchemaId,
    SchemaReference,
    SchemaType,
    Subject,
    Version,
)
from registry.server import errors
from registry.server.compatibility import check_compatibility
from registry.server.queries import (
    DEFAULT_LEVEL,
    DEFAULT_MODE,
    VersionSpec,
    as_written,
    effective_level,
    effective_mode,
    pick_version,
    registered,
    require_writable,
    resolve_references,
    single,
    transitive,
)
from registry.server.records import (
    Record,
    SchemaWritten,
    config_record,
    delete_subject_record,
    erase_record,
    mode_record,
    schema_record,
)
from registry.server.state import RegistryState, StoredSchema, StoredVersion
from registry.server.store import SchemaStore

_Identity = tuple[str, SchemaType, tuple[SchemaReference, ...]]


@dataclass(frozen=True)
class SchemaRequest:
    """A schema as a client submits it (register, lookup, compatibility check)."""

    schema: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[SchemaReference, ...] = ()
    requested_id: SchemaId | None = None


def parse_version(text: str) -> VersionSpec:
    """`latest`, `-1` or an integer in [1, 2^31-1]; anything else is error 42202."""
    if text in ("latest", "-1"):
        return "latest"
    if text.isdigit() and 1 <= int(text) <= MAX_VERSION:
        return Version(int(text))
    raise errors.InvalidVersionError(
        f"The specified version '{text}' is not a valid version id. Allowed values are "
        f'between [1, {MAX_VERSION}] and the string "latest"'
    )


def validate_subject(subject: str) -> Subject:
    if not subject or any(ord(ch) < 32 or ord(ch) == 127 for ch in subject):
        raise errors.InvalidSubjectError(f"The specified subject {subject!r} is not valid")
    return Subject(subject)


class RegistryService:
    def __init__(self, store: SchemaStore) -> None:
        self.store = store
        self._parsed: dict[SchemaId, tuple[StoredSchema, ParsedSchema]] = {}
        self._index: dict[_Identity, SchemaId] = {}
        self._cache_lock = threading.Lock()

    # --- parsing and identity --------------------------------------------------------

    def _parse_request(self, state: RegistryState, request: SchemaRequest) -> ParsedSchema:
        if not request.schema.strip():
            raise errors.InvalidSchemaError("Empty schema")
        if request.schema_type is not SchemaType.AVRO:
            raise errors.InvalidSchemaError(
                f"Invalid schema: schema type {request.schema_type.value} is not supported "
                "by this registry (AVRO only)"
            )
        resolved = resolve_references(state, request.references)
        try:
            return parse_schema(
                request.schema, schema_type=request.schema_type, references=resolved
            )
        except SchemaSyntaxError as exc:
            raise errors.InvalidSchemaError(f"Invalid schema: {exc}") from exc
        except RecursionError as exc:
            raise errors.InvalidSchemaError("Invalid schema: it nests too deeply") from exc

    # The caches are keyed by id but checked against the state they are asked about: a
    # write batch prepares on a scratch copy holding ids that may never be committed (its
    # transaction can fail), so an entry counts only while it matches the state.

    def _parsed_stored(self, state: RegistryState, stored: StoredSchema) -> ParsedSchema:
        with self._cache_lock:
            cached = self._parsed.get(stored.id)
            if cached is not None and cached[0] == stored:
                # Hold this very object, so that the next check is an identity test.
                self._parsed[stored.id] = (stored, cached[1])
                return cached[1]
        parsed = parse_schema(
            stored.schema,
            schema_type=stored.schema_type,
            references=resolve_references(state, stored.references),
            strict=False,
        )
        with self._cache_lock:
            self._parsed[stored.id] = (stored, parsed)
            self._index.setdefault(_identity(parsed), stored.id)
        return parsed

    def _find_id(self, state: RegistryState, parsed: ParsedSchema) -> SchemaId | None:
        for stored in state.schemas.values():
            cached = self._parsed.get(stored.id)
            if cached is None or cached[0] is not stored:
                self._parsed_stored(state, stored)
        identity = _identity(parsed)
        with self._cache_lock:
            found = self._index.get(identity)
        if found is None or self._holds(state, found, identity):
            return found
        # A stale entry (an id of a batch that never committed): find the id afresh.
        matching = [i for i in state.schemas if self._holds(state, i, identity)]
        with self._cache_lock:
            if matching:
                self._index[identity] = min(matching)
            else:
                self._index.pop(identity, None)
        return min(matching) if matching else None

    def _holds(self, state: RegistryState, schema_id: SchemaId, identity: _Identity) -> bool:
        stored = state.schemas.get(schema_id)
        cached = self._parsed.get(schema_id)
        return (
            stored is not None
            and cached is not None
            and cached[0] == stored
            and _identity(cached[1]) == identity
        )

    # --- schemas by id ---------------------------------------------------------------

    def schema_by_id(self, schema_id: int) -> StoredSchema:
        with self.store.reading() as state:
            stored = state.schemas.get(SchemaId(schema_id))
        if stored is None:
            raise errors.SchemaNotFoundError(f"Schema {schema_id} not found")
        return stored

    def versions_of_id(self, schema_id: int, deleted: bool) -> list[StoredVersion]:
        with self.store.reading() as state:
            if SchemaId(schema_id) not in state.schemas:
                raise errors.SchemaNotFoundError(f"Schema {schema_id} not found")
            found = state.versions_using(SchemaId(schema_id))
        return sorted(
            (v for v in found if deleted or not v.deleted), key=lambda v: (v.subject, v.version)
        )

    def all_schemas(self, prefix: str, deleted: bool, latest_only: bool) -> list[RegisteredSchema]:
        with self.store.reading() as state:
            subjects = sorted(s for s in state.subjects if s.startswith(prefix))
            found: list[RegisteredSchema] = []
            for subject in subjects:
                versions = state.all_versions(subject) if deleted else state.live_versions(subject)
                if latest_only:
                    versions = versions[-1:]
                found += [registered(state, v) for v in versions]
        return found

    # --- subjects and versions -------------------------------------------------------

    def subjects(self, prefix: str, deleted: bool) -> list[Subject]:
        with self.store.reading() as state:
            return sorted(
                subject
                for subject in state.subjects
                if subject.startswith(prefix) and (deleted or state.live_versions(subject))
            )

    def versions(self, subject: Subject, deleted: bool) -> list[Version]:
        with self.store.reading() as state:
            found = state.all_versions(subject) if deleted else state.live_versions(subject)
        if not found:
            raise errors.SubjectNotFoundError(f"Subject '{subject}' not found.")
        return [v.version for v in found]

    def version(
        self, subject: Subject, spec: VersionSpec, deleted: bool = False
    ) -> RegisteredSchema:
        with self.store.reading() as state:
            return registered(state, pick_version(state, subject, spec, deleted))

    def lookup(self, subject: Subject, request: SchemaRequest, deleted: bool) -> RegisteredSchema:
        with self.store.reading() as state:
            candidates = state.all_versions(subject) if deleted else state.live_versions(subject)
            if not candidates:
                raise errors.SubjectNotFoundError(f"Subject '{subject}' not found.")
            parsed = self._parse_request(state, request)
            schema_id = self._find_id(state, parsed)
            for stored in reversed(candidates):
                if stored.schema_id == schema_id:
                    return registered(state, stored)
        raise errors.SchemaNotFoundError("Schema not found")

    def referenced_by(self, subject: Subject, spec: VersionSpec) -> list[SchemaId]:
        with self.store.reading() as state:
            stored = pick_version(state, subject, spec, deleted=True)
            return state.referenced_by(subject, stored.version)

    # --- registration ----------------------------------------------------------------

    def register(self, subject: Subject, request: SchemaRequest) -> SchemaId:
        # Without references, parsing needs no state: do it before queueing for the write
        # lock, so that it overlaps the leader's Kafka round trips instead of adding to them.
        early = self._parse_early(request)

        def prepare(state: RegistryState) -> tuple[list[Record], SchemaId]:
            mode = effective_mode(state, subject)
            if mode is Mode.READONLY:
                raise errors.OperationNotPermittedError(f"Subject {subject} is in read-only mode")
            if request.requested_id is not None and mode is not Mode.IMPORT:
                raise errors.OperationNotPermittedError(
                    "Registering a schema with a given id is only allowed in IMPORT mode"
                )
            if isinstance(early, errors.RegistryServerError):
                raise early
            parsed = early if early is not None else self._parse_request(state, request)
            existing_id = self._find_id(state, parsed)
            for stored in state.live_versions(subject):
                if stored.schema_id == existing_id:
                    return [], stored.schema_id
            if request.requested_id is None:
                self._refuse_incompatible(state, subject, parsed)
            schema_id = self._new_id(state, existing_id, request.requested_id)
            event = SchemaWritten(
                subject,
                state.next_version(subject),
                schema_id,
                parsed.canonical,
                request.schema_type,
                request.references,
                deleted=False,
            )
            return [schema_record(event)], schema_id

        return self.store.write(prepare)

    def _parse_early(
        self, request: SchemaRequest
    ) -> ParsedSchema | errors.RegistryServerError | None:
        if request.references:
            return None
        try:
            return self._parse_request(RegistryState(), request)
        except errors.RegistryServerError as exc:
            return exc  # answered where prepare would have raised it, after the mode checks

    def _new_id(
        self, state: RegistryState, existing: SchemaId | None, requested: SchemaId | None
    ) -> SchemaId:
        if requested is None:
            return existing if existing is not None else SchemaId(state.max_id + 1)
        if requested in state.schemas and requested != existing:
            raise errors.OperationNotPermittedError(
                f"Overwrite new schema with id {requested} is not permitted: the id is taken"
            )
        return requested

    def _refuse_incompatible(
        self, state: RegistryState, subject: Subject, parsed: ParsedSchema
    ) -> None:
        live = state.live_versions(subject)
        messages = self._incompatibilities(state, effective_level(state, subject), parsed, live)
        if messages:
            raise errors.IncompatibleSchemaError(
                "Schema being registered is incompatible with an earlier schema for subject "
                f'"{subject}", details: [{"; ".join(messages)}]',
                messages,
            )

    def _incompatibilities(
        self,
        state: RegistryState,
        level: CompatibilityLevel,
        parsed: ParsedSchema,
        against: Sequence[StoredVersion],
    ) -> list[str]:
        if not level.transitive:
            against = against[-1:]  # the others would be parsed for nothing
        existing = [
            (v.version, self._parsed_stored(state, state.schemas[v.schema_id])) for v in against
        ]
        return check_compatibility(level, parsed, existing)

    def check(
        self, subject: Subject, spec: VersionSpec | None, request: SchemaRequest
    ) -> list[str]:
        """Reasons the schema is incompatible (none: compatible). `spec` None: all live."""
        with self.store.reading() as state:
            parsed = self._parse_request(state, request)
            level = effective_level(state, subject)
            if spec is None:
                against = state.live_versions(subject)
                level = transitive(level)
            elif spec == "latest" and not state.live_versions(subject):
                return []
            else:
                against = [pick_version(state, subject, spec, deleted=False)]
                level = single(level)
            return self._incompatibilities(state, level, parsed, against)

    # --- deletes ---------------------------------------------------------------------

    def delete_version(self, subject: Subject, spec: VersionSpec, permanent: bool) -> Version:
        def prepare(state: RegistryState) -> tuple[list[Record], Version]:
            require_writable(state, subject)
            stored = pick_version(state, subject, spec, deleted=True, for_delete=permanent)
            if state.referenced_by(subject, stored.version):
                raise errors.ReferenceExistsError(
                    f"One or more references exist to the schema {{subject={subject}, "
                    f"version={stored.version}}}"
                )
            if permanent:
                if not stored.deleted:
                    raise errors.VersionNotSoftDeletedError(
                        f"Subject '{subject}' Version {stored.version} was not deleted first "
                        "before being permanently deleted"
                    )
                return [erase_record(subject, stored.version)], stored.version
            if stored.deleted:
                raise errors.VersionSoftDeletedError(
                    f"Subject '{subject}' Version {stored.version} was soft deleted. Set "
                    "permanent=true to delete permanently"
                )
            event = as_written(state, stored, deleted=True)
            return [schema_record(event)], stored.version

        return self.store.write(prepare)

    def delete_subject(self, subject: Subject, permanent: bool) -> list[Version]:
        def prepare(state: RegistryState) -> tuple[list[Record], list[Version]]:
            require_writable(state, subject)
            every = state.all_versions(subject)
            if not every:
                raise errors.SubjectNotFoundError(f"Subject '{subject}' not found.")
            live = [v for v in every if not v.deleted]
            for stored in every:
                if state.referenced_by(subject, stored.version):
                    raise errors.ReferenceExistsError(
                        f"One or more references exist to the schema {{subject={subject}, "
                        f"version={stored.version}}}"
                    )
            if permanent:
                if live:
                    raise errors.SubjectNotSoftDeletedError(
                        f"Subject '{subject}' was not deleted first before being permanently "
                        "deleted"
                    )
                records = [erase_record(subject, v.version) for v in every]
                records += [config_record(subject, None), mode_record(subject, None)]
                return records, [v.version for v in every]
            if not live:
                raise errors.SubjectSoftDeletedError(
                    f"Subject '{subject}' was soft deleted. Set permanent=true to delete "
                    "permanently"
                )
            records = [schema_record(as_written(state, v, deleted=True)) for v in live]
            records.append(delete_subject_record(subject, live[-1].version))
            return records, [v.version for v in live]

        return self.store.write(prepare)

    # --- config and mode: one shape, two settings (CONFIG, MODE) ----------------------

    def setting(self, setting: Setting[_V], subject: Subject | None, default_to_global: bool) -> _V:
        with self.store.reading() as state:
            values = setting.values(state)
            if subject is not None and subject in values:
                return values[subject]
            if subject is not None and not default_to_global:
                raise setting.not_configured(subject)
            return values.get(None, setting.default)

    def set_setting(self, setting: Setting[_V], subject: Subject | None, value: _V) -> _V:
        def prepare(state: RegistryState) -> tuple[list[Record], _V]:
            if setting.guarded:
                require_writable(state, subject)
            if setting.values(state).get(subject) == value:
                return [], value
            return [setting.record(subject, value)], value

        return self.store.write(prepare)

    def delete_setting(self, setting: Setting[_V], subject: Subject | None) -> _V:
        def prepare(state: RegistryState) -> tuple[list[Record], _V]:
            if setting.guarded:
                require_writable(state, subject)
            current = setting.values(state).get(subject)
            if current is None:
                if subject is not None:
                    raise setting.not_configured(subject)
                return [], setting.default
            return [setting.record(subject, None)], current

        return self.store.write(prepare)


_V = TypeVar("_V", CompatibilityLevel, Mode)


@dataclass(frozen=True)
class Setting(Generic[_V]):
    """A per-subject setting with a global fallback: the compatibility level or the mode.
    Only the level is `guarded` by READONLY mode: changing the mode is how a subject leaves it."""

    values: Callable[[RegistryState], Mapping[Subject | None, _V]]
    default: _V
    noun: str
    missing: type[errors.NotFoundError]
    record: Callable[[Subject | None, _V | None], Record]
    guarded: bool

    def not_configured(self, subject: Subject) -> errors.NotFoundError:
        return self.missing(
            f"Subject '{subject}' does not have subject-level {self.noun} configured"
        )


CONFIG = Setting[CompatibilityLevel](
    lambda state: state.configs,
    DEFAULT_LEVEL,
    "compatibility",
    errors.SubjectLevelCompatibilityNotFoundError,
    config_record,
    True,
)
MODE = Setting[Mode](
    lambda state: state.modes,
    DEFAULT_MODE,
    "mode",
    errors.SubjectLevelModeNotFoundError,
    mode_record,
    False,
)


def _identity(parsed: ParsedSchema) -> _Identity:
    return (parsed.canonical, parsed.schema_type, parsed.references)
