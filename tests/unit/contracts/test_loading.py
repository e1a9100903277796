"""The contracts in schemas/ load, are self-contained and carry valid examples; broken
contracts are refused with every problem named by file."""

from __future__ import annotations

import io
import json
import shutil
import tomllib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import fastavro
import pytest

from contracts.conventions import CLIENT_OPTIONAL_FIELDS, SERVER_OWNED_FIELDS
from contracts.loading import Contract, load_contracts, load_named_types
from contracts.problems import ContractError
from registry.client.models import CompatibilityLevel
from registry.client.payload import to_datum

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
MANIFEST = tomllib.loads((SCHEMAS / "manifest.toml").read_text())
EVENT_TYPES = list(MANIFEST)
CONTRACTS = {contract.event_type: contract for contract in load_contracts(SCHEMAS)}


def walk(avro: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a schema, depth first."""
    if isinstance(avro, dict):
        yield avro
        for value in avro.values():
            yield from walk(value)
    elif isinstance(avro, list):
        for item in avro:
            yield from walk(item)


def definitions_of(schema: dict[str, Any], full_name: str) -> list[dict[str, Any]]:
    namespace, _, name = full_name.rpartition(".")
    return [
        node
        for node in walk(schema)
        if node.get("type") in ("record", "enum", "fixed")
        and node.get("name") == name
        and node.get("namespace") == namespace
    ]


def test_every_manifest_entry_loads_as_a_contract() -> None:
    assert list(CONTRACTS) == EVENT_TYPES
    assert set(EVENT_TYPES) >= {
        "film_progress",
        "film_rating",
        "film_review",
        "bookmark",
        "click",
        "page_view",
        "search_query",
        "player_event",
    }


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_contract_follows_the_topic_and_subject_naming(event_type: str) -> None:
    contract = CONTRACTS[event_type]

    assert contract.topic == f"ugc.{event_type}"
    assert contract.subject == f"ugc.{event_type}-value"
    assert contract.compatibility is CompatibilityLevel.BACKWARD_TRANSITIVE
    assert contract.source == SCHEMAS / f"{contract.full_name}.avsc"


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_registered_schema_is_self_contained_and_parses_with_fastavro(event_type: str) -> None:
    schema = json.loads(CONTRACTS[event_type].schema)

    fastavro.parse_schema(schema, named_schemas={})  # no sibling types available


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_shared_context_is_inlined_exactly_once_and_listed_as_a_dependency(
    event_type: str,
) -> None:
    contract = CONTRACTS[event_type]

    assert len(definitions_of(contract.parsed_schema, "ugc.Context")) == 1
    assert len(definitions_of(contract.parsed_schema, "ugc.Platform")) == 1
    assert contract.dependencies[:2] == ("ugc.Context", "ugc.Platform")


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_example_converts_and_round_trips_through_fastavro(event_type: str) -> None:
    contract = CONTRACTS[event_type]
    datum = to_datum(
        contract.schema,
        contract.example,
        server_owned=SERVER_OWNED_FIELDS,
        optional=CLIENT_OPTIONAL_FIELDS,
    )
    user_id, now = uuid.uuid4(), datetime(2026, 11, 27, 20, 16, tzinfo=UTC)
    datum = {"event_id": str(uuid.uuid4()), **datum, "user_id": str(user_id), "received_at": now}
    parsed = fastavro.parse_schema(contract.parsed_schema)

    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, datum)
    buffer.seek(0)
    decoded = cast(dict[str, Any], fastavro.schemaless_reader(buffer, parsed, parsed))

    assert decoded["user_id"] == user_id
    assert decoded["received_at"] == now
    assert decoded["occurred_at"] == datum["occurred_at"]
    assert decoded["context"]["app"] == contract.example["context"]["app"]


def test_every_named_type_field_and_record_has_a_doc() -> None:
    undocumented = [
        f"{name}: {node.get('name')}"
        for name, definition in load_named_types(SCHEMAS).items()
        for node in walk(definition)
        if ("fields" in node or "symbols" in node or "default" in node or "name" in node)
        and "type" in node
        and not node.get("doc")
    ]

    assert undocumented == []


def test_every_optional_union_puts_null_first_with_a_null_default() -> None:
    unions = [
        (name, node)
        for name, definition in load_named_types(SCHEMAS).items()
        for node in walk(definition)
        if isinstance(node.get("type"), list)
    ]

    assert unions
    for name, field in unions:
        assert field["type"][0] == "null", name
        assert field.get("default", "missing") is None, f"{name}.{field['name']}"


# Broken contracts. Each test edits a copy of the real schemas/ directory.


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy)
    return copy


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def field_of(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(spec for spec in schema["fields"] if spec["name"] == name)
    return found


def problems_in(schemas_dir: Path) -> list[str]:
    with pytest.raises(ContractError) as caught:
        load_contracts(schemas_dir)
    return [str(problem) for problem in caught.value.problems]


def test_json_syntax_error_names_the_file_line_and_column(schemas: Path) -> None:
    path = schemas / "ugc.Context.avsc"
    path.write_text('{\n  "type": "record",\n  "name": "Context",,\n}')

    # Only the broken file is reported: the events that inline it are not blamed for it.
    [problem] = problems_in(schemas)

    assert problem.startswith(f"{path}: invalid JSON at line 3, column 21: Expecting property")


def test_unknown_type_names_the_file_and_the_files_searched(schemas: Path) -> None:
    path = schemas / "ugc.events.FilmRating.avsc"
    edit_json(path, lambda s: field_of(s, "context").update(type="ugc.Contxt"))

    [problem] = problems_in(schemas)

    assert problem.startswith(f"{path}: unknown type 'ugc.Contxt'")
    assert "ugc.Contxt.avsc" in problem
    assert "ugc.Context.avsc, ugc.Platform.avsc" in problem


@pytest.mark.parametrize(
    ("file", "field", "default", "reason"),
    [
        ("ugc.Context.avsc", "locale", "ru-RU", "does not match the union's first branch 'null'"),
        ("ugc.Context.avsc", "platform", "martian", "is not one of the symbols web, ios"),
        ("ugc.Context.avsc", "app", 7, "is not a string"),
        (
            "ugc.events.SearchFilters.avsc",
            "genres",
            ["drama", 1],
            "has an item that is not a string",
        ),
        ("ugc.events.SearchFilters.avsc", "year_from", None, None),
        ("ugc.events.FilmProgress.avsc", "position_ms", 2**63, "is out of the range of a long"),
        ("ugc.events.FilmReview.avsc", "contains_spoilers", "no", "is not a boolean"),
    ],
)
def test_default_of_the_wrong_type_names_the_file_and_field(
    schemas: Path, file: str, field: str, default: object, reason: str | None
) -> None:
    path = schemas / file
    edit_json(path, lambda s: field_of(s, field).update(default=default))

    if reason is None:  # a valid default, to show the check is not over-eager
        load_contracts(schemas)
        return
    [problem] = problems_in(schemas)

    assert problem.startswith(f"{path}: field {path.stem}.{field}: default {json.dumps(default)}")
    assert reason in problem


def test_record_default_must_cover_fields_without_defaults(schemas: Path) -> None:
    path = schemas / "ugc.events.FilmRating.avsc"
    edit_json(path, lambda s: field_of(s, "context").update(default={}))

    [problem] = problems_in(schemas)

    assert "lacks field 'app', which has no default of its own" in problem


def test_types_referring_to_each_other_are_refused_as_a_cycle(schemas: Path) -> None:
    edit_json(
        schemas / "ugc.Context.avsc",
        lambda s: s["fields"].append(
            {"name": "parent", "type": ["null", "ugc.Session"], "default": None, "doc": "x"}
        ),
    )
    session = {
        "type": "record",
        "name": "Session",
        "namespace": "ugc",
        "doc": "A cycle back to Context.",
        "fields": [{"name": "context", "type": "ugc.Context", "doc": "back again"}],
    }
    (schemas / "ugc.Session.avsc").write_text(json.dumps(session))

    problems = problems_in(schemas)

    assert problems
    assert all("cycle (ugc.Context -> ugc.Session -> ugc.Context)" in p for p in problems)
    assert problems[0].startswith(str(schemas / "ugc.Session.avsc"))


def test_file_must_be_named_after_the_type_it_defines(schemas: Path) -> None:
    (schemas / "ugc.Platform.avsc").rename(schemas / "Platform.avsc")

    problems = problems_in(schemas)

    expected = "defines 'ugc.Platform', so the file must be named ugc.Platform.avsc"
    assert f"{schemas / 'Platform.avsc'}: {expected}" in problems


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace('owner = "search-team"\n', ""), "[search_query] missing key: owner"),
        (
            lambda t: t.replace('"BACKWARD_TRANSITIVE"', '"BACKWARDS"', 1),
            "[film_progress] compatibility 'BACKWARDS' is not one of NONE, BACKWARD,",
        ),
        (
            lambda t: t.replace('"ugc.events.Click"', '"ugc.events.Tap"'),
            "[click] schema 'ugc.events.Tap' has no file ugc.events.Tap.avsc in",
        ),
        (
            lambda t: t.replace('"ugc.events.Click"', '"ugc.Platform"'),
            "[click] schema 'ugc.Platform' is not a record in",
        ),
        (
            lambda t: t.replace('topic = "ugc.click"', 'topic = "clicks"'),
            "[click] topic is 'clicks'; an event type's topic is 'ugc.click'",
        ),
        (
            lambda t: t.replace('subject = "ugc.click-value"', 'subject = "click"'),
            "[click] subject is 'click'; it must be 'ugc.click-value'",
        ),
        (
            lambda t: t.replace("owner = ", "team = ", 1),
            "[film_progress] unknown key team; the keys are",
        ),
        (
            lambda t: t.replace('"examples/click.json"', '"examples/tap.json"'),
            "[click] example file examples/tap.json does not exist",
        ),
        (lambda t: t + "\n[Bad-Name]\n", "[Bad-Name] missing keys"),
        (lambda t: t + "\n[broken\n", "cannot read the manifest: "),
    ],
)
def test_manifest_problem_names_the_event_type_and_the_key(
    schemas: Path, edit: Callable[[str], str], expected: str
) -> None:
    manifest = schemas / "manifest.toml"
    manifest.write_text(edit(manifest.read_text()))

    problems = problems_in(schemas)

    assert any(p.startswith(f"{manifest}: {expected}") for p in problems), problems


def test_compatibility_defaults_to_backward_transitive(schemas: Path) -> None:
    manifest = schemas / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('compatibility = "BACKWARD_TRANSITIVE"\n', ""))

    contracts = load_contracts(schemas)

    assert {c.compatibility for c in contracts} == {CompatibilityLevel.BACKWARD_TRANSITIVE}


def test_example_that_does_not_fit_its_schema_names_each_field(schemas: Path) -> None:
    path = schemas / "examples" / "film_rating.json"
    edit_json(path, lambda e: e.update(score="nine", user_id=str(uuid.uuid4())))

    assert problems_in(schemas) == [
        f"{path}: example does not fit ugc.events.FilmRating: user_id: is set by the server",
        f"{path}: example does not fit ugc.events.FilmRating: score: expected integer, got string",
    ]


def test_event_without_the_common_fields_is_refused(schemas: Path) -> None:
    path = schemas / "ugc.events.Click.avsc"
    edit_json(
        path, lambda s: s.update(fields=[f for f in s["fields"] if f["name"] != "received_at"])
    )

    [problem] = problems_in(schemas)

    assert problem == (
        f"{path}: every event needs a field 'received_at': "
        '{"type": "long", "logicalType": "timestamp-millis"}'
    )


def test_every_problem_in_every_file_is_reported_together(schemas: Path) -> None:
    (schemas / "ugc.events.Bookmark.avsc").write_text("{")
    edit_json(
        schemas / "ugc.events.FilmRating.avsc", lambda s: field_of(s, "score").update(type="Score")
    )
    edit_json(schemas / "ugc.Context.avsc", lambda s: field_of(s, "locale").update(default=1))
    manifest = schemas / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('owner = "search-team"\n', ""))

    with pytest.raises(ContractError) as caught:
        load_contracts(schemas)

    files = {problem.file.name for problem in caught.value.problems}
    assert files == {
        "ugc.events.Bookmark.avsc",
        "ugc.events.FilmRating.avsc",
        "ugc.Context.avsc",
        "manifest.toml",
    }
    # The Context problem shows once, though every event type inlines the record.
    assert len(caught.value.problems) == 4
    assert str(caught.value).startswith("4 problems in the contracts:\n  ")


def test_contract_is_immutable() -> None:
    contract: Contract = CONTRACTS["click"]

    with pytest.raises(AttributeError):
        contract.owner = "someone else"  # type: ignore[misc]
