"""The behaviour every `SchemaRegistry` must share: the in-memory fake and the HTTP client
talking to our server (or any Confluent-compatible registry).

`RegistryContract` is a test class without the `Test` prefix, so pytest does not collect it
here. To run it, subclass it as `Test…` and provide a `registry` fixture::

    class TestInMemoryRegistryContract(RegistryContract):
        @pytest.fixture
        def registry(self) -> SchemaRegistry:
            return InMemoryRegistry()

The tests only assume what a shared, long-lived registry allows: every test uses its own
subjects (`unique_subject`) and its own record names (`unique_record`), so no id is
assumed fresh, and it sets the compatibility level of its subjects instead of relying on
the global one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from registry.client.errors import (
    IncompatibleSchemaError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    SubjectNotSoftDeletedError,
    VersionNotFoundError,
)
from registry.client.models import CompatibilityLevel, SchemaId, Subject, Version
from registry.client.protocol import SchemaRegistry

Field = dict[str, object]
ID: Field = {"name": "id", "type": "string"}
REQUIRED: Field = {"name": "score", "type": "int"}
OPTIONAL: Field = {"name": "note", "type": ["null", "string"], "default": None}
# The largest id the wire format can carry; no test registry gets anywhere near it.
UNKNOWN_ID = SchemaId(2**31 - 1)


def record_schema(name: str, *fields: Field) -> str:
    return json.dumps(
        {"type": "record", "name": name, "namespace": "contract", "fields": list(fields)}
    )


# The fields of a v2, each a change from a v1 of {id, score}; VERDICTS says which level takes it.
CHANGES: dict[str, list[Field]] = {
    "add_required": [ID, REQUIRED, {"name": "extra", "type": "long"}],
    "add_optional": [ID, REQUIRED, OPTIONAL],
    "remove_required": [ID],
}
VERDICTS = [
    (CompatibilityLevel.BACKWARD, "add_required", False),
    (CompatibilityLevel.BACKWARD, "add_optional", True),
    (CompatibilityLevel.BACKWARD, "remove_required", True),
    (CompatibilityLevel.FORWARD, "add_required", True),
    (CompatibilityLevel.FORWARD, "add_optional", True),
    (CompatibilityLevel.FORWARD, "remove_required", False),
    (CompatibilityLevel.FULL, "add_required", False),
    (CompatibilityLevel.FULL, "add_optional", True),
    (CompatibilityLevel.FULL, "remove_required", False),
    (CompatibilityLevel.NONE, "add_required", True),
    (CompatibilityLevel.NONE, "remove_required", True),
]


class RegistryContract:
    """Subclass as `Test…` with a `registry` fixture to hold a registry to the contract."""

    @pytest.fixture
    def unique_subject(self) -> Callable[[str], Subject]:
        """unique_subject("orders") -> "contract.orders.<random>-value"."""

        def make(base: str) -> Subject:
            return Subject(f"contract.{base}.{uuid.uuid4().hex[:10]}-value")

        return make

    @pytest.fixture
    def unique_record(self) -> str:
        """A record name no other test uses, so every schema a test builds is new."""
        return f"Rec{uuid.uuid4().hex[:12]}"

    def test_register_answers_an_id_that_resolves_to_the_same_schema(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        schema = record_schema(unique_record, ID, OPTIONAL)
        schema_id = registry.register(unique_subject("a"), schema)
        assert schema_id >= 0
        assert json.loads(registry.get_schema(schema_id)) == json.loads(schema)

    def test_same_schema_under_two_subjects_gets_one_id_and_each_subject_its_own_version(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        schema = record_schema(unique_record, ID)
        first, second = unique_subject("a"), unique_subject("b")
        assert registry.register(first, schema) == registry.register(second, schema)
        assert registry.list_versions(first) == registry.list_versions(second) == [1]

    def test_registering_a_schema_the_subject_has_returns_its_id_without_a_new_version(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        v1, v2 = record_schema(unique_record, ID), record_schema(unique_record, ID, OPTIONAL)
        id1, id2 = registry.register(subject, v1), registry.register(subject, v2)
        assert id1 != id2
        assert registry.register(subject, v2) == id2
        assert registry.register(subject, v1) == id1  # an older version too
        assert registry.list_versions(subject) == [1, 2]

    def test_whitespace_does_not_change_a_schemas_identity(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        compact = record_schema(unique_record, ID)
        pretty = json.dumps(json.loads(compact), indent=4)
        assert registry.register(unique_subject("a"), compact) == registry.register(
            unique_subject("b"), pretty
        )

    def test_latest_is_the_highest_version_and_each_version_is_readable(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        v1, v2 = record_schema(unique_record, ID), record_schema(unique_record, ID, OPTIONAL)
        id1, id2 = registry.register(subject, v1), registry.register(subject, v2)
        latest = registry.get_latest(subject)
        assert (latest.subject, latest.version, latest.id) == (subject, 2, id2)
        assert registry.get_version(subject, "latest") == latest
        first = registry.get_version(subject, Version(1))
        assert (first.version, first.id) == (1, id1)
        assert json.loads(first.schema) == json.loads(v1)

    def test_an_id_names_every_subject_and_version_that_holds_it(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        first, second = unique_subject("a"), unique_subject("b")
        v1, v2 = record_schema(unique_record, ID), record_schema(unique_record, ID, OPTIONAL)
        registry.register(first, v1)
        shared = registry.register(first, v2)
        registry.register(second, v2)
        assert sorted(registry.get_subject_versions(shared)) == sorted(
            [(first, Version(2)), (second, Version(1))]
        )
        with pytest.raises(SchemaNotFoundError):
            registry.get_subject_versions(UNKNOWN_ID)

    def test_lookup_finds_the_version_that_holds_a_schema(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        v1 = record_schema(unique_record, ID)
        schema_id = registry.register(subject, v1)
        registry.register(subject, record_schema(unique_record, ID, OPTIONAL))
        found = registry.lookup(subject, v1)
        assert (found.subject, found.version, found.id) == (subject, 1, schema_id)

    def test_lookup_of_an_unregistered_schema_or_subject_raises_not_found(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        registry.register(subject, record_schema(unique_record, ID))
        with pytest.raises(SchemaNotFoundError):
            registry.lookup(subject, record_schema(unique_record, ID, OPTIONAL))
        with pytest.raises(SubjectNotFoundError):
            registry.lookup(unique_subject("missing"), record_schema(unique_record, ID))

    def test_missing_subject_version_and_id_raise_their_own_not_found_errors(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        registry.register(subject, record_schema(unique_record, ID))
        with pytest.raises(SubjectNotFoundError):
            registry.get_latest(unique_subject("missing"))
        with pytest.raises(VersionNotFoundError):
            registry.get_version(subject, Version(7))
        with pytest.raises(SchemaNotFoundError):
            registry.get_schema(UNKNOWN_ID)

    @pytest.mark.parametrize(("level", "change", "accepted"), VERDICTS)
    def test_registration_obeys_the_subjects_compatibility_level(
        self,
        *,
        registry: SchemaRegistry,
        unique_subject: Callable[[str], Subject],
        unique_record: str,
        level: CompatibilityLevel,
        change: str,
        accepted: bool,
    ) -> None:
        subject = unique_subject("a")
        assert registry.set_compatibility(level, subject) == level
        registry.register(subject, record_schema(unique_record, ID, REQUIRED))
        candidate = record_schema(unique_record, *CHANGES[change])
        assert registry.test_compatibility(subject, candidate).is_compatible is accepted
        if accepted:
            registry.register(subject, candidate)
            assert registry.list_versions(subject) == [1, 2]
        else:
            with pytest.raises(IncompatibleSchemaError):
                registry.register(subject, candidate)
            assert registry.list_versions(subject) == [1]

    @pytest.mark.parametrize(
        ("level", "accepted"),
        [(CompatibilityLevel.BACKWARD, True), (CompatibilityLevel.BACKWARD_TRANSITIVE, False)],
    )
    def test_transitive_levels_check_every_live_version_others_only_the_latest(
        self,
        *,
        registry: SchemaRegistry,
        unique_subject: Callable[[str], Subject],
        unique_record: str,
        level: CompatibilityLevel,
        accepted: bool,
    ) -> None:
        subject = unique_subject("a")
        registry.set_compatibility(level, subject)
        registry.register(subject, record_schema(unique_record, ID, REQUIRED))
        registry.register(subject, record_schema(unique_record, ID))
        # score comes back as a string: readable from v2 (default), not from v1 (int).
        candidate = record_schema(
            unique_record, ID, {"name": "score", "type": "string", "default": ""}
        )
        assert registry.test_compatibility(subject, candidate, "latest").is_compatible
        assert registry.test_compatibility(subject, candidate, None).is_compatible is False
        if accepted:
            registry.register(subject, candidate)
        else:
            with pytest.raises(IncompatibleSchemaError):
                registry.register(subject, candidate)

    def test_incompatible_check_explains_itself_and_missing_subject_is_compatible(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        registry.set_compatibility(CompatibilityLevel.BACKWARD, subject)
        registry.register(subject, record_schema(unique_record, ID))
        verdict = registry.test_compatibility(subject, record_schema(unique_record, ID, REQUIRED))
        assert not verdict.is_compatible
        assert verdict.messages
        anything = record_schema(unique_record, REQUIRED)
        assert registry.test_compatibility(unique_subject("missing"), anything).is_compatible

    def test_subject_level_is_reported_and_can_be_changed(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject]
    ) -> None:
        subject = unique_subject("a")
        assert registry.get_compatibility(subject) == registry.get_compatibility()
        registry.set_compatibility(CompatibilityLevel.FULL_TRANSITIVE, subject)
        assert registry.get_compatibility(subject) == CompatibilityLevel.FULL_TRANSITIVE

    def test_soft_delete_hides_the_subject_but_its_ids_still_resolve(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        schema = record_schema(unique_record, ID)
        schema_id = registry.register(subject, schema)
        registry.register(subject, record_schema(unique_record, ID, OPTIONAL))
        assert registry.delete_subject(subject) == [1, 2]
        assert subject not in registry.list_subjects()
        assert subject in registry.list_subjects(deleted=True)
        with pytest.raises(SubjectNotFoundError):
            registry.get_latest(subject)
        assert json.loads(registry.get_schema(schema_id)) == json.loads(schema)

    def test_reregistering_after_a_soft_delete_keeps_the_id_and_takes_the_next_version(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        schema = record_schema(unique_record, ID)
        schema_id = registry.register(subject, schema)
        registry.delete_subject(subject)
        assert registry.register(subject, schema) == schema_id
        assert registry.list_versions(subject) == [2]

    def test_permanent_delete_needs_a_soft_delete_first_then_forgets_the_subject(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("a")
        schema = record_schema(unique_record, ID)
        registry.register(subject, schema)
        with pytest.raises(SubjectNotSoftDeletedError):
            registry.delete_subject(subject, permanent=True)
        registry.delete_subject(subject)
        assert registry.delete_subject(subject, permanent=True) == [1]
        assert subject not in registry.list_subjects(deleted=True)
        registry.register(subject, schema)
        assert registry.list_versions(subject) == [1]  # numbering restarts

    def test_subject_names_with_slashes_and_spaces_round_trip(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = Subject(f"ns/{unique_subject('with space')}?x=1#frag")
        schema_id = registry.register(subject, record_schema(unique_record, ID))
        assert registry.get_latest(subject).id == schema_id
        assert subject in registry.list_subjects()

    def test_list_subjects_filters_by_prefix(
        self, registry: SchemaRegistry, unique_subject: Callable[[str], Subject], unique_record: str
    ) -> None:
        subject = unique_subject("prefixed")
        registry.register(subject, record_schema(unique_record, ID))
        prefix = subject[: subject.rindex(".") + 1]
        assert registry.list_subjects(prefix) == [subject]
        assert subject not in registry.list_subjects("contract.other.")
