"""The registry as the rest of the platform sees it: the `SchemaRegistry` protocol and the
small result types its methods return beyond those in `registry.client.models`.

The ingest API, the ETL, the console and the CLI type their collaborator as
`SchemaRegistry`; `RegistryClient` (HTTP) and `InMemoryRegistry` (the unit-test fake) both
satisfy it, and `tests/contract/registry_contract.py` holds them to the same behaviour.
Every method raises only `registry.client.errors.RegistryError` subclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias

from registry.client.models import (
    CompatibilityLevel,
    RegisteredSchema,
    SchemaId,
    SchemaReference,
    SchemaType,
    Subject,
    Version,
)

Latest: TypeAlias = Literal["latest"]


@dataclass(frozen=True)
class SchemaDefinition:
    """A schema as `GET /schemas/ids/{id}` answers it: text, type and references, no subject."""

    schema: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[SchemaReference, ...] = field(default=())


@dataclass(frozen=True)
class CompatibilityResult:
    """The verdict of a compatibility check, with the registry's reasons when it says no."""

    is_compatible: bool
    messages: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.is_compatible


class SchemaRegistry(Protocol):
    """What the platform's components need from a schema registry."""

    def register(
        self,
        subject: Subject,
        schema: str,
        *,
        references: Sequence[SchemaReference] = (),
        normalize: bool = False,
    ) -> SchemaId:
        """Register `schema` under `subject` (idempotent) and answer its registry-wide id."""
        ...

    def lookup(
        self, subject: Subject, schema: str, references: Sequence[SchemaReference] = ()
    ) -> RegisteredSchema:
        """The version of `subject` that holds `schema`."""
        ...

    def get_schema(self, schema_id: SchemaId) -> str:
        """The schema text with this id, whatever subject holds it."""
        ...

    def get_subject_versions(self, schema_id: SchemaId) -> list[tuple[Subject, Version]]:
        """Every live (subject, version) that holds the schema with this id."""
        ...

    def get_version(self, subject: Subject, version: Version | Latest) -> RegisteredSchema:
        """One live version of a subject; "latest" is the highest live version."""
        ...

    def get_latest(self, subject: Subject) -> RegisteredSchema:
        """The highest live version of a subject."""
        ...

    def list_subjects(self, prefix: str | None = None, *, deleted: bool = False) -> list[Subject]:
        """Subjects with live versions (plus soft-deleted ones if `deleted`), sorted."""
        ...

    def list_versions(self, subject: Subject) -> list[Version]:
        """The live version numbers of a subject, ascending."""
        ...

    def get_compatibility(self, subject: Subject | None = None) -> CompatibilityLevel:
        """The level in force for `subject` (its own, else the global one), or the global one."""
        ...

    def set_compatibility(
        self, level: CompatibilityLevel, subject: Subject | None = None
    ) -> CompatibilityLevel:
        """Set the level of `subject`, or the global level when no subject is named."""
        ...

    def test_compatibility(
        self,
        subject: Subject,
        schema: str,
        version: Version | Latest | None = "latest",
        references: Sequence[SchemaReference] = (),
    ) -> CompatibilityResult:
        """Whether `schema` could be registered: against one version, or all live ones (None)."""
        ...

    def delete_subject(self, subject: Subject, *, permanent: bool = False) -> list[Version]:
        """Soft-delete a subject, or purge a soft-deleted one; answers the versions deleted."""
        ...
