"""`ugc schemas` against a real registry on a real Kafka broker, with a copy of schemas/ that
each test may edit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from contracts.diff import diff_schemas
from contracts.loading import load_contracts
from registry.client.client import RegistryClient
from registry.client.models import CompatibilityLevel, Subject
from tests.conftest import RunningRegistry
from ugc import settings as ugc_settings
from ugc.cli import main
from ugc.process import free_port

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
EVENT_TYPES = [
    "film_progress",
    "film_rating",
    "film_review",
    "bookmark",
    "click",
    "page_view",
    "search_query",
    "player_event",
]


@pytest.fixture
def schemas_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SCHEMAS, tmp_path / "schemas"))


@pytest.fixture
def ugc(registry_url: str, schemas_dir: Path) -> Callable[..., Result]:
    """Run `ugc schemas <command> …` on the copied contracts and this test's registry."""
    return cli_on(registry_url, schemas_dir)


def cli_on(url: str, schemas_dir: Path) -> Callable[..., Result]:
    def run(command: str, *args: str) -> Result:
        argv = ["schemas", command, "--schemas-dir", str(schemas_dir), "--registry-url", url]
        return CliRunner().invoke(main, [*argv, *args])

    return run


def versions(url: str) -> dict[str, list[int]]:
    with RegistryClient(url) as client:
        subjects = set(client.list_subjects())
        return {
            event_type: list(client.list_versions(Subject(f"ugc.{event_type}-value")))
            for event_type in EVENT_TYPES
            if f"ugc.{event_type}-value" in subjects
        }


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def add_field(schemas_dir: Path, full_name: str, spec: dict[str, Any]) -> None:
    edit_json(schemas_dir / f"{full_name}.avsc", lambda d: d["fields"].append(spec))


def add_to_examples(schemas_dir: Path, key: str, value: Any, *, in_context: bool) -> None:
    for path in (schemas_dir / "examples").glob("*.json"):
        edit_json(path, lambda d: (d["context"] if in_context else d).__setitem__(key, value))


OPTIONAL_CONTEXT_FIELD = {
    "name": "device_model",
    "type": ["null", "string"],
    "default": None,
    "doc": "Device model, when the client knows it.",
}


def add_required_scale_to_film_rating(schemas_dir: Path) -> None:
    add_field(schemas_dir, "ugc.events.FilmRating", {"name": "scale", "type": "int", "doc": "Max."})
    edit_json(schemas_dir / "examples/film_rating.json", lambda d: d.__setitem__("scale", 10))


def test_register_registers_every_event_type_and_sets_its_compatibility_level(
    ugc: Callable[..., Result], registry_url: str
) -> None:
    result = ugc("register")

    assert result.exit_code == 0, result.output
    assert versions(registry_url) == {event_type: [1] for event_type in EVENT_TYPES}
    with RegistryClient(registry_url) as client:
        for event_type in EVENT_TYPES:
            subject = Subject(f"ugc.{event_type}-value")
            assert client.get_compatibility(subject) is CompatibilityLevel.BACKWARD_TRANSITIVE


def test_second_register_changes_nothing_and_says_unchanged_for_each_event_type(
    ugc: Callable[..., Result], registry_url: str
) -> None:
    assert ugc("register").exit_code == 0

    again = ugc("register")
    as_json = ugc("register", "--json")

    assert again.exit_code == 0, again.output
    assert "nothing changed: every event type is unchanged" in again.output
    results = {row["event_type"]: row for row in json.loads(as_json.stdout)["event_types"]}
    assert {row["result"] for row in results.values()} == {"unchanged"}
    assert {row["compatibility_set"] for row in results.values()} == {None}
    assert set(results) == set(EVENT_TYPES)
    assert versions(registry_url) == {event_type: [1] for event_type in EVENT_TYPES}


def test_dry_run_shows_the_plan_and_registers_nothing(
    ugc: Callable[..., Result], registry_url: str
) -> None:
    result = ugc("register", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "dry run, nothing registered" in result.output
    assert versions(registry_url) == {}


@pytest.mark.parametrize("command", ["check", "register"])
def test_incompatible_edit_exits_1_naming_event_type_field_rule_and_version(
    ugc: Callable[..., Result], registry_url: str, schemas_dir: Path, command: str
) -> None:
    assert ugc("register").exit_code == 0
    add_required_scale_to_film_rating(schemas_dir)

    result = ugc(command)

    assert result.exit_code == 1, result.output
    explanation = next(line for line in result.output.splitlines() if "'scale'" in line)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in explanation
    assert "version 1" in explanation
    assert "film_rating: refused by ugc.film_rating-value" in result.output
    assert versions(registry_url)["film_rating"] == [1]


def test_register_registers_nothing_when_any_event_type_is_incompatible(
    ugc: Callable[..., Result], registry_url: str, schemas_dir: Path
) -> None:
    assert ugc("register").exit_code == 0
    add_field(schemas_dir, "ugc.Context", OPTIONAL_CONTEXT_FIELD)  # compatible for all
    add_required_scale_to_film_rating(schemas_dir)  # breaks one

    result = ugc("register")

    assert result.exit_code == 1
    assert "nothing was registered: film_rating would be refused" in result.output
    assert versions(registry_url) == {event_type: [1] for event_type in EVENT_TYPES}


def test_compatible_edit_registers_a_new_version_that_diff_shows(
    ugc: Callable[..., Result], registry_url: str, schemas_dir: Path
) -> None:
    assert ugc("register").exit_code == 0
    comment = {"name": "comment", "type": ["null", "string"], "default": None, "doc": "Why."}
    add_field(schemas_dir, "ugc.events.FilmRating", comment)

    before = ugc("diff", "film_rating")
    assert ugc("check").exit_code == 0
    registered = ugc("register")
    between = ugc("diff", "film_rating", "--from", "1", "--to", "2", "--json")
    after = ugc("diff", "film_rating")

    assert "added" in before.output and "comment" in before.output
    assert registered.exit_code == 0, registered.output
    assert versions(registry_url)["film_rating"] == [1, 2]
    assert versions(registry_url)["film_progress"] == [1]
    changes = json.loads(between.stdout)["changes"]
    assert changes == [
        {
            "change": "added",
            "field": "comment",
            "old": None,
            "new": "null | string (default null)",
        }
    ]
    assert "no field-level changes" in after.output


def test_optional_field_added_to_context_is_a_new_version_of_every_event_type(
    ugc: Callable[..., Result], registry_url: str, schemas_dir: Path
) -> None:
    assert ugc("register").exit_code == 0
    add_field(schemas_dir, "ugc.Context", OPTIONAL_CONTEXT_FIELD)

    result = ugc("register")
    shown = ugc("show", "player_event", "--json")

    assert result.exit_code == 0, result.output
    assert versions(registry_url) == {event_type: [1, 2] for event_type in EVENT_TYPES}
    schema = json.loads(shown.stdout)["schema"]
    context = next(f["type"] for f in schema["fields"] if f["name"] == "context")
    assert "device_model" in [f["name"] for f in context["fields"]]


def test_breaking_context_change_is_refused_for_every_event_type(
    ugc: Callable[..., Result], registry_url: str, schemas_dir: Path
) -> None:
    assert ugc("register").exit_code == 0
    required = {"name": "device_model", "type": "string", "doc": "Device model."}
    add_field(schemas_dir, "ugc.Context", required)
    add_to_examples(schemas_dir, "device_model", "Pixel 9", in_context=True)

    result = ugc("register", "--json")

    assert result.exit_code == 1
    rows = json.loads(result.stdout)["event_types"]
    assert {row["action"] for row in rows} == {"incompatible"}
    assert {row["conflicts"][0]["field"] for row in rows} == {"context.device_model"}
    assert versions(registry_url) == {event_type: [1] for event_type in EVENT_TYPES}


def test_export_writes_every_version_and_the_latest_is_what_register_sent(
    ugc: Callable[..., Result], registry_url: str, schemas_dir: Path, tmp_path: Path
) -> None:
    assert ugc("register").exit_code == 0
    add_field(schemas_dir, "ugc.Context", OPTIONAL_CONTEXT_FIELD)
    assert ugc("register").exit_code == 0

    result = ugc("export", "--out", str(tmp_path / "export"))

    assert result.exit_code == 0, result.output
    contracts = load_contracts(schemas_dir)
    with RegistryClient(registry_url) as client:
        for contract in contracts:
            folder = tmp_path / "export" / contract.event_type
            assert sorted(p.name for p in folder.iterdir()) == ["v1.avsc", "v2.avsc"]
            latest = (folder / "v2.avsc").read_text()
            assert diff_schemas(latest, contract.schema) == []
            assert client.lookup(contract.subject, latest).version == 2
            assert client.lookup(contract.subject, contract.schema).version == 2


BREAKAGES: dict[str, tuple[str, Callable[[str], str], str]] = {
    "syntax-error": ("ugc.Context.avsc", lambda text: text[:-10], "invalid JSON"),
    "unknown-type": (
        "ugc.events.FilmRating.avsc",
        lambda text: text.replace('"ugc.Context"', '"ugc.Contxt"'),
        "unknown type 'ugc.Contxt'",
    ),
    "default-of-wrong-type": (
        "ugc.events.FilmRating.avsc",
        lambda text: text.replace('"type": "int",', '"type": "int", "default": "ten",'),
        'default "ten" is not an int',
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_invalid_avsc_names_the_file_and_the_problem_and_registers_nothing(
    ugc: Callable[..., Result], registry_url: str, schemas_dir: Path, breakage: str
) -> None:
    file, damage, expected = BREAKAGES[breakage]
    path = schemas_dir / file
    path.write_text(damage(path.read_text()))

    result = ugc("register")

    assert result.exit_code == 1
    problem = next(line for line in result.stderr.splitlines() if file in line)
    assert expected in problem
    assert versions(registry_url) == {}


def test_unreachable_registry_exits_1_with_one_clear_line(schemas_dir: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"

    result = cli_on(closed, schemas_dir)("check")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: cannot reach the schema registry at {closed}")


def test_registry_dying_midway_reports_exactly_what_was_registered(
    start_registry: Callable[..., RunningRegistry],
    schemas_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = start_registry()

    class DyingAfterThree(RegistryClient):
        """The registry stops just before the fourth schema reaches it."""

        calls = 0

        def register(self, *args: Any, **kwargs: Any) -> Any:
            DyingAfterThree.calls += 1
            if DyingAfterThree.calls == 4:
                running.stop()
            return super().register(*args, **kwargs)

    monkeypatch.setattr(ugc_settings, "RegistryClient", DyingAfterThree)

    result = cli_on(running.url, schemas_dir)("register", "--json")

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    done = [row["event_type"] for row in document["event_types"] if row["result"] == "registered"]
    assert done == EVENT_TYPES[:3]
    assert document["not_registered"] == EVENT_TYPES[3:]
    message = result.stderr.strip()
    assert "registered before the failure: film_progress (version 1)" in message
    assert "not registered: bookmark, click" in message


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("check",),
        ("register", "--dry-run"),
        ("diff", "film_rating"),
        ("show", "film_rating"),
        ("show", "film_rating", "--version", "local"),
    ],
    ids=" ".join,
)
def test_json_output_parses(ugc: Callable[..., Result], args: tuple[str, ...]) -> None:
    assert ugc("register").exit_code == 0

    result = ugc(*args, "--json")

    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.stdout), dict)


def test_unknown_event_type_is_a_usage_error(ugc: Callable[..., Result]) -> None:
    result = ugc("show", "film_ratings")

    assert result.exit_code == 2
    assert "'film_ratings' is not in" in result.stderr


def test_installed_ugc_script_lists_the_contracts_as_json(
    registry_url: str, schemas_dir: Path
) -> None:
    script = Path(sys.executable).parent / "ugc"
    argv = ["schemas", "list", "--json", "--schemas-dir", str(schemas_dir)]
    completed = subprocess.run(
        [str(script), *argv, "--registry-url", registry_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    rows = json.loads(completed.stdout)["event_types"]
    assert [row["event_type"] for row in rows] == EVENT_TYPES
    assert {row["action"] for row in rows} == {"new"}
