"""Registering the local contracts with a schema registry: plan, check, apply, read back.

This module owns the rules behind `ugc schemas check|register|list|export`, apart from any
terminal: `plan` asks the registry what each contract would become (new subject, unchanged,
a new version, or incompatible, with the registry's own reasons) without writing anything;
`apply` carries out a plan that has no incompatibility, setting each subject's compatibility
level before its schema, and raises `PartialRegistrationError` naming what it did register
when the registry fails midway; `registered_versions` reads every version back for `export`.

Why check everything before writing anything: a change to a shared type such as
`ugc.Context` changes every event type at once, and must reach all of them or none.
It works with any Confluent-compatible registry: it needs only the `SchemaRegistry` calls.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contracts.loading import Contract
from registry.client.errors import NotFoundError, RegistryError
from registry.client.models import CompatibilityLevel, RegisteredSchema, Subject, Version
from registry.client.protocol import Latest, SchemaRegistry
from ugc.errors import UgcError

# "new schema cannot read data written with version 3: field 'b': ... (READER_FIELD_...)"
_VERSION = re.compile(r"\bversion (\d+)\b")
_FIELD = re.compile(r"\bfield '([^']+)'")
_RULE = re.compile(r"\(([A-Z][A-Z_]+)\)\s*$")


class Action(enum.StrEnum):
    """What registering a contract would do to its subject."""

    NEW = "new"  # the subject has no version yet
    UNCHANGED = "unchanged"  # the registry already holds this exact schema
    CHANGED = "changed"  # a compatible change: registering adds a version
    INCOMPATIBLE = "incompatible"  # the registry would refuse it

    @property
    def writes(self) -> bool:
        return self in (Action.NEW, Action.CHANGED)


@dataclass(frozen=True)
class Conflict:
    """One reason the registry gave for refusing a schema, with what could be picked out."""

    message: str
    version: int | None
    field: str | None
    rule: str | None

    @classmethod
    def parse(cls, message: str) -> Conflict:
        """Pick the version, field and rule out of a verbose message; other registries word
        their messages differently, so each part may be None and `message` stays whole."""
        version, field, rule = (
            _VERSION.search(message),
            _FIELD.search(message),
            _RULE.search(message),
        )
        return cls(
            message=message,
            version=int(version.group(1)) if version else None,
            field=field.group(1) if field else None,
            rule=rule.group(1) if rule else None,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "message": self.message,
            "version": self.version,
            "field": self.field,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class Step:
    """The plan for one contract."""

    contract: Contract
    action: Action
    versions: tuple[Version, ...]
    """The subject's live versions now."""
    matching: Version | None
    """The version that already holds this schema (UNCHANGED), else None."""
    level: CompatibilityLevel | None
    """The subject's level in force now; None when the subject does not exist yet."""
    conflicts: tuple[Conflict, ...] = ()

    @property
    def latest(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    @property
    def sets_level(self) -> bool:
        # A new subject always gets its own level, so a later change of the global level
        # cannot loosen it.
        return self.level is None or self.level is not self.contract.compatibility

    @property
    def changes_anything(self) -> bool:
        return self.action.writes or self.sets_level


@dataclass(frozen=True)
class Outcome:
    """What `apply` did for one contract."""

    event_type: str
    subject: Subject
    action: Action
    version: Version | None
    level_set: CompatibilityLevel | None


class PartialRegistrationError(UgcError):
    """The registry failed midway: `done` lists what was registered before `failed`."""

    def __init__(
        self, done: Sequence[Outcome], failed: str, pending: Sequence[str], cause: RegistryError
    ) -> None:
        written = [o for o in done if o.action.writes or o.level_set]
        did = ", ".join(_describe(o) for o in written) or "nothing"
        left = ", ".join(pending) or "nothing"
        super().__init__(
            f"the registry failed while registering {failed} ({cause}); registered before the "
            f"failure: {did}; not registered: {failed}{', ' + left if pending else ''}"
        )
        self.done = list(done)
        self.failed = failed
        self.pending = list(pending)
        self.cause = cause


def _describe(outcome: Outcome) -> str:
    if outcome.action.writes:
        return f"{outcome.event_type} (version {outcome.version or '?'})"
    return f"{outcome.event_type} (compatibility {outcome.level_set})"


def plan(
    registry: SchemaRegistry,
    contracts: Sequence[Contract],
    progress: Callable[[Contract], None] | None = None,
) -> list[Step]:
    """Ask the registry about every contract; writes nothing."""
    steps = []
    for contract in contracts:
        if progress is not None:
            progress(contract)
        steps.append(plan_one(registry, contract))
    return steps


def plan_one(registry: SchemaRegistry, contract: Contract) -> Step:
    subject = contract.subject
    versions = live_versions(registry, subject)
    if not versions:
        return Step(contract, Action.NEW, (), None, None)
    level = registry.get_compatibility(subject)
    matching = _matching_version(registry, contract)
    if matching is not None:
        return Step(contract, Action.UNCHANGED, versions, matching, level)
    # A transitive level is checked against every live version, any other against the
    # latest: the same comparison the registry makes when the schema is registered.
    against: Version | Latest | None = None if contract.compatibility.transitive else "latest"
    result = registry.test_compatibility(subject, contract.schema, version=against)
    if result.is_compatible:
        return Step(contract, Action.CHANGED, versions, None, level)
    conflicts = tuple(Conflict.parse(message) for message in result.messages)
    if not conflicts:
        conflicts = (Conflict("the registry gave no reason", None, None, None),)
    return Step(contract, Action.INCOMPATIBLE, versions, None, level, conflicts)


def live_versions(registry: SchemaRegistry, subject: Subject) -> tuple[Version, ...]:
    """The subject's versions, or () when the registry does not know the subject."""
    try:
        return tuple(registry.list_versions(subject))
    except NotFoundError:
        return ()


def _matching_version(registry: SchemaRegistry, contract: Contract) -> Version | None:
    try:
        return registry.lookup(contract.subject, contract.schema).version
    except NotFoundError:
        return None


def apply(
    registry: SchemaRegistry,
    steps: Sequence[Step],
    progress: Callable[[Step], None] | None = None,
) -> list[Outcome]:
    """Carry out a plan with no incompatible step: levels first, then schemas.

    Raises ValueError for a plan with an incompatible step (nothing is written), and
    `PartialRegistrationError` when the registry fails midway.
    """
    refused = [step.contract.event_type for step in steps if step.action is Action.INCOMPATIBLE]
    if refused:
        raise ValueError(f"the plan has incompatible steps: {', '.join(refused)}")
    done: list[Outcome] = []
    for index, step in enumerate(steps):
        if progress is not None:
            progress(step)
        try:
            done.append(_apply_one(registry, step))
        except RegistryError as exc:
            pending = [s.contract.event_type for s in steps[index + 1 :] if s.changes_anything]
            raise PartialRegistrationError(done, step.contract.event_type, pending, exc) from exc
    return done


def _apply_one(registry: SchemaRegistry, step: Step) -> Outcome:
    contract = step.contract
    level_set = None
    if step.sets_level:
        level_set = registry.set_compatibility(contract.compatibility, contract.subject)
    version = step.matching
    if step.action.writes:
        registry.register(contract.subject, contract.schema)
        try:
            version = registry.lookup(contract.subject, contract.schema).version
        except RegistryError:
            # Registered all the same: report it as done, without its version number, and
            # let the next call report the failure.
            version = None
    return Outcome(contract.event_type, contract.subject, step.action, version, level_set)


def registered_versions(registry: SchemaRegistry, subject: Subject) -> list[RegisteredSchema]:
    """Every live version of `subject`, oldest first; [] for an unknown subject."""
    return [registry.get_version(subject, version) for version in live_versions(registry, subject)]
