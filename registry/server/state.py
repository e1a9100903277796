"""The registry's state, materialised from the `_schemas` log one event at a time.

Every instance builds the same state by applying the same records in the same order, so
the state is a pure function of the log. It keeps what the topic says and nothing derived
from parsing: schemas by id, each subject's versions (soft-deleted ones flagged), the
compatibility levels and modes. A record that contradicts what is already known (an id
reused for a different schema) is ignored, deterministically, on every instance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from registry.client.models import (
    CompatibilityLevel,
    Mode,
    SchemaId,
    SchemaReference,
    SchemaType,
    Subject,
    Version,
)
from registry.server.records import (
    ConfigSet,
    ModeSet,
    Noop,
    SchemaErased,
    SchemaWritten,
    StoreEvent,
    SubjectDeleted,
    Unreadable,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredSchema:
    """What a registry-wide id stands for."""

    id: SchemaId
    schema: str
    schema_type: SchemaType
    references: tuple[SchemaReference, ...]


@dataclass
class StoredVersion:
    subject: Subject
    version: Version
    schema_id: SchemaId
    deleted: bool


@dataclass
class RegistryState:
    schemas: dict[SchemaId, StoredSchema] = field(default_factory=dict)
    subjects: dict[Subject, dict[Version, StoredVersion]] = field(default_factory=dict)
    configs: dict[Subject | None, CompatibilityLevel] = field(default_factory=dict)
    modes: dict[Subject | None, Mode] = field(default_factory=dict)
    max_id: int = 0

    def copy(self) -> RegistryState:
        """A copy to apply records to without touching this state (a write batch's
        scratch). Values are shared: `StoredSchema` is frozen and `apply` replaces a
        `StoredVersion` rather than changing it."""
        return RegistryState(
            dict(self.schemas),
            {subject: dict(versions) for subject, versions in self.subjects.items()},
            dict(self.configs),
            dict(self.modes),
            self.max_id,
        )

    # --- applying the log ------------------------------------------------------------

    def apply(self, event: StoreEvent) -> None:
        match event:
            case SchemaWritten():
                self._apply_schema(event)
            case SchemaErased(subject=subject, version=version):
                self._erase(subject, version)
            case ConfigSet(subject=subject, level=level):
                _set_or_drop(self.configs, subject, level)
            case ModeSet(subject=subject, mode=mode):
                _set_or_drop(self.modes, subject, mode)
            case SubjectDeleted(subject=subject, up_to=up_to):
                versions = self.subjects.get(subject, {})
                for number, stored in versions.items():
                    if number <= up_to and not stored.deleted:
                        # Replaced, never changed in place: copies share StoredVersions.
                        versions[number] = StoredVersion(subject, number, stored.schema_id, True)
            case Noop():
                pass
            case Unreadable(reason=reason):
                log.warning("skipping a _schemas record this registry cannot read: %s", reason)

    def _apply_schema(self, event: SchemaWritten) -> None:
        known = self.schemas.get(event.schema_id)
        stored = StoredSchema(event.schema_id, event.schema, event.schema_type, event.references)
        if known is not None and known != stored:
            log.warning(
                "ignoring %s version %d: id %d already stands for another schema",
                event.subject,
                event.version,
                event.schema_id,
            )
            return
        self.schemas[event.schema_id] = stored
        self.max_id = max(self.max_id, event.schema_id)
        versions = self.subjects.setdefault(event.subject, {})
        versions[event.version] = StoredVersion(
            event.subject, event.version, event.schema_id, event.deleted
        )

    def _erase(self, subject: Subject, version: Version) -> None:
        versions = self.subjects.get(subject, {})
        gone = versions.pop(version, None)
        if not versions:
            self.subjects.pop(subject, None)
        if gone is not None and not self.versions_using(gone.schema_id):
            self.schemas.pop(gone.schema_id, None)

    # --- queries ---------------------------------------------------------------------

    def versions_using(self, schema_id: SchemaId) -> list[StoredVersion]:
        return [
            stored
            for versions in self.subjects.values()
            for stored in versions.values()
            if stored.schema_id == schema_id
        ]

    def live_versions(self, subject: Subject) -> list[StoredVersion]:
        versions = self.subjects.get(subject, {})
        return [versions[v] for v in sorted(versions) if not versions[v].deleted]

    def all_versions(self, subject: Subject) -> list[StoredVersion]:
        versions = self.subjects.get(subject, {})
        return [versions[v] for v in sorted(versions)]

    def next_version(self, subject: Subject) -> Version:
        return Version(max(self.subjects.get(subject, {}), default=0) + 1)

    def referenced_by(self, subject: Subject, version: Version) -> list[SchemaId]:
        """Ids of live schemas whose references name subject at version."""
        target = (subject, version)
        users = {
            stored.id
            for stored in self.schemas.values()
            if any((ref.subject, ref.version) == target for ref in stored.references)
        }
        return sorted(
            schema_id
            for schema_id in users
            if any(not v.deleted for v in self.versions_using(schema_id))
        )


def _set_or_drop(table: dict[Any, Any], key: object, value: object | None) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
