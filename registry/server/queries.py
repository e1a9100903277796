"""Reading the registry state the way the API means it: which version `latest` or a
number names (soft-deleted or not), which schemas a set of references needs, the effective
compatibility level and mode of a subject, and the shapes the state is answered in. The
service composes these; they never write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from registry.client.models import (
    CompatibilityLevel,
    Mode,
    RegisteredSchema,
    SchemaReference,
    Subject,
    Version,
)
from registry.server import errors
from registry.server.records import SchemaWritten
from registry.server.state import RegistryState, StoredVersion

DEFAULT_LEVEL = CompatibilityLevel.BACKWARD
DEFAULT_MODE = Mode.READWRITE
VersionSpec = Version | Literal["latest"]


def registered(state: RegistryState, stored: StoredVersion) -> RegisteredSchema:
    schema = state.schemas[stored.schema_id]
    return RegisteredSchema(
        stored.schema_id,
        stored.subject,
        stored.version,
        schema.schema,
        schema.schema_type,
        schema.references,
    )


def as_written(state: RegistryState, stored: StoredVersion, *, deleted: bool) -> SchemaWritten:
    schema = state.schemas[stored.schema_id]
    return SchemaWritten(
        stored.subject,
        stored.version,
        stored.schema_id,
        schema.schema,
        schema.schema_type,
        schema.references,
        deleted,
    )


def pick_version(
    state: RegistryState,
    subject: Subject,
    spec: VersionSpec,
    deleted: bool,
    for_delete: bool = False,
) -> StoredVersion:
    every = state.all_versions(subject)
    live = [v for v in every if not v.deleted]
    if not every or (not live and not deleted):
        raise errors.SubjectNotFoundError(f"Subject '{subject}' not found.")
    if spec == "latest":
        pool = every if (for_delete or not live) and deleted else live
        if not pool:
            raise errors.VersionNotFoundError(f"Version latest not found for '{subject}'.")
        return pool[-1]
    for stored in every:
        if stored.version == spec and (deleted or not stored.deleted):
            return stored
    raise errors.VersionNotFoundError(f"Version {spec} not found.")


def resolve_references(
    state: RegistryState, references: Sequence[SchemaReference]
) -> list[tuple[SchemaReference, str]]:
    """Every schema the references need, dependencies before their users."""
    resolved: list[tuple[SchemaReference, str]] = []
    seen: set[tuple[str, int]] = set()

    def visit(ref: SchemaReference, depth: int) -> None:
        if (ref.subject, ref.version) in seen:
            return
        if depth > 32:
            raise errors.InvalidSchemaError("Invalid schema: references nest too deeply")
        stored = state.subjects.get(ref.subject, {}).get(ref.version)
        if stored is None:
            raise errors.InvalidSchemaError(
                f"Invalid schema: reference {ref.name!r} names subject {ref.subject!r} "
                f"version {ref.version}, which does not exist"
            )
        seen.add((ref.subject, ref.version))
        schema = state.schemas[stored.schema_id]
        for inner in schema.references:
            visit(inner, depth + 1)
        resolved.append((ref, schema.schema))

    for ref in references:
        visit(ref, 0)
    return resolved


def effective_level(state: RegistryState, subject: Subject) -> CompatibilityLevel:
    return state.configs.get(subject) or state.configs.get(None) or DEFAULT_LEVEL


def effective_mode(state: RegistryState, subject: Subject | None) -> Mode:
    return state.modes.get(subject) or state.modes.get(None) or DEFAULT_MODE


def require_writable(state: RegistryState, subject: Subject | None) -> None:
    if effective_mode(state, subject) is Mode.READONLY:
        raise errors.OperationNotPermittedError(
            f"Subject {subject or '(global)'} is in read-only mode"
        )


def transitive(level: CompatibilityLevel) -> CompatibilityLevel:
    if level is CompatibilityLevel.NONE or level.transitive:
        return level
    return CompatibilityLevel(f"{level.value}_TRANSITIVE")


def single(level: CompatibilityLevel) -> CompatibilityLevel:
    return CompatibilityLevel(level.value.removesuffix("_TRANSITIVE"))
