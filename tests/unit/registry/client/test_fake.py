"""What the fake does beyond the shared contract: defaults, references, deletes, modes."""

from __future__ import annotations

import json

import pytest

from registry.client import errors
from registry.client.fake import InMemoryRegistry
from registry.client.models import CompatibilityLevel, Mode, SchemaReference, Subject, Version

CONTEXT = json.dumps(
    {
        "type": "record",
        "name": "Context",
        "namespace": "ugc",
        "fields": [{"name": "ip", "type": "string"}],
    }
)
EVENT = json.dumps(
    {
        "type": "record",
        "name": "Rating",
        "namespace": "ugc",
        "fields": [{"name": "context", "type": "ugc.Context"}],
    }
)


def _record(*fields: dict[str, object]) -> str:
    return json.dumps({"type": "record", "name": "R", "fields": list(fields)})


def test_default_global_level_is_backward() -> None:
    registry = InMemoryRegistry()
    assert registry.get_compatibility() is CompatibilityLevel.BACKWARD
    assert registry.get_compatibility(Subject("any")) is CompatibilityLevel.BACKWARD


def test_ids_are_shared_across_subjects_and_distinct_per_schema() -> None:
    registry = InMemoryRegistry()
    a = registry.register(Subject("a"), _record({"name": "x", "type": "int"}))
    b = registry.register(Subject("b"), _record({"name": "x", "type": "int"}))
    c = registry.register(Subject("c"), _record({"name": "y", "type": "int"}))
    assert a == b != c


def test_get_schema_answers_the_normalised_text() -> None:
    registry = InMemoryRegistry()
    schema_id = registry.register(Subject("s"), '{ "type" : "string" }')
    assert registry.get_schema(schema_id) == '{"type":"string"}'


@pytest.mark.parametrize(
    "schema", ["not json", '{"type": "recrd"}', '{"type": "record", "name": "R"}']
)
def test_invalid_schemas_are_refused(schema: str) -> None:
    with pytest.raises(errors.InvalidSchemaError) as caught:
        InMemoryRegistry().register(Subject("s"), schema)
    assert caught.value.error_code == 42201


def test_incompatible_registration_raises_the_clients_error_class() -> None:
    registry = InMemoryRegistry()
    registry.register(Subject("s"), _record({"name": "x", "type": "int"}))
    with pytest.raises(errors.IncompatibleSchemaError) as caught:
        registry.register(Subject("s"), _record({"name": "x", "type": "string"}))
    assert (caught.value.status, caught.value.error_code) == (409, 409)
    assert "BACKWARD" in caught.value.message


def test_references_resolve_named_types_from_other_subjects() -> None:
    registry = InMemoryRegistry()
    registry.register(Subject("ctx"), CONTEXT)
    reference = SchemaReference("ugc.Context", Subject("ctx"), Version(1))
    schema_id = registry.register(Subject("ugc.rating-value"), EVENT, references=[reference])
    assert registry.get_schema_by_id(schema_id).references == (reference,)
    assert registry.lookup(Subject("ugc.rating-value"), EVENT, [reference]).id == schema_id
    with pytest.raises(errors.InvalidSchemaError):
        registry.register(Subject("other"), EVENT)  # ugc.Context is unknown without it


def test_version_deletes_are_two_step_and_numbers_are_not_reused_after_a_soft_delete() -> None:
    registry = InMemoryRegistry(CompatibilityLevel.NONE)
    subject = Subject("s")
    for name in ("a", "b"):
        registry.register(subject, _record({"name": name, "type": "int"}))
    with pytest.raises(errors.VersionNotSoftDeletedError):
        registry.delete_version(subject, Version(2), permanent=True)
    assert registry.delete_version(subject, "latest") == 2
    with pytest.raises(errors.VersionSoftDeletedError):
        registry.delete_version(subject, Version(2))
    registry.register(subject, _record({"name": "c", "type": "int"}))
    assert registry.list_versions(subject) == [1, 3]
    assert registry.delete_version(subject, Version(2), permanent=True) == 2


def test_second_soft_delete_of_a_subject_is_refused() -> None:
    registry = InMemoryRegistry()
    registry.register(Subject("s"), _record({"name": "x", "type": "int"}))
    registry.delete_subject(Subject("s"))
    with pytest.raises(errors.SubjectSoftDeletedError):
        registry.delete_subject(Subject("s"))
    with pytest.raises(errors.SubjectNotFoundError):
        registry.delete_subject(Subject("never"))


def test_readonly_mode_blocks_writes() -> None:
    registry = InMemoryRegistry()
    registry.set_mode(Mode.READONLY)
    with pytest.raises(errors.OperationNotPermittedError):
        registry.register(Subject("s"), '"string"')
    assert registry.get_mode() is Mode.READONLY


def test_check_against_a_missing_numbered_version_raises_version_not_found() -> None:
    registry = InMemoryRegistry()
    registry.register(Subject("s"), '"string"')
    with pytest.raises(errors.VersionNotFoundError):
        registry.test_compatibility(Subject("s"), '"string"', Version(5))
