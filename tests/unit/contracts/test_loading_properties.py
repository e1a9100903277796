"""Property-based tests of the schema file loader (`contracts.loading`): whatever a team
does to `schemas/` (a file replaced by any bytes, any JSON value put anywhere in a schema or
an example, manifest keys changed, files deleted or renamed), loading gives contracts or one
ContractError listing problems by file, never another exception."""

from __future__ import annotations

import json
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.loading import MANIFEST, Contract, load_contracts
from contracts.problems import ContractError

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
FILES = sorted(str(p.relative_to(SCHEMAS)) for p in SCHEMAS.rglob("*") if p.is_file())
JSON_FILES = [name for name in FILES if name.endswith((".avsc", ".json"))]
KEYS = ("schema", "subject", "topic", "compatibility", "owner", "description", "example", "x")
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
AVRO_WORDS = st.sampled_from(
    [
        "record",
        "enum",
        "array",
        "map",
        "fixed",
        "string",
        "int",
        "long",
        "null",
        "ugc.Context",
        "ugc.Platform",
        "fields",
        "symbols",
        "items",
        "values",
        "default",
        "name",
        "type",
    ]
)


@contextmanager
def _copy() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory) / "schemas"
        shutil.copytree(SCHEMAS, target)
        yield target


def _load(directory: Path) -> list[Contract] | None:
    try:
        return load_contracts(directory)
    except ContractError as exc:
        assert exc.problems, "a ContractError lists at least one problem"
        for problem in exc.problems:
            assert problem.message and str(problem.file).startswith(str(directory.parent))
        return None


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON value, the value itself first."""
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


def _put(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_json_value_anywhere_in_a_schema_or_example_is_loaded_or_reported(
    data: Any,
) -> None:
    name = data.draw(st.sampled_from(JSON_FILES))
    with _copy() as directory:
        document = json.loads((directory / name).read_text())
        for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
            path = data.draw(st.sampled_from(list(_paths(document))))
            value = data.draw(JSON | AVRO_WORDS)
            delete = bool(path) and data.draw(st.booleans())
            document = _put(document, path, value, delete)
        (directory / name).write_text(json.dumps(document))
        _load(directory)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(FILES),
    content=st.binary(max_size=40) | st.text(max_size=40).map(str.encode),
)
def test_any_bytes_in_place_of_a_file_are_reported_against_that_file(
    name: str, content: bytes
) -> None:
    with _copy() as directory:
        (directory / name).write_bytes(content)
        if _load(directory) is not None:
            # Only an unused file, or a copy of what was there, can still load.
            assert name.endswith(".json") or content == (SCHEMAS / name).read_bytes()


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_any_change_to_a_manifest_entry_is_loaded_or_reported(data: Any) -> None:
    with _copy() as directory:
        manifest = tomllib.loads((directory / MANIFEST).read_text())
        event_type = data.draw(st.sampled_from(sorted(manifest)))
        key = data.draw(st.sampled_from(KEYS))
        if data.draw(st.booleans()):
            manifest[event_type].pop(key, None)
        else:
            manifest[event_type][key] = data.draw(
                st.integers()
                | st.text(max_size=20)
                | st.lists(st.integers(), max_size=2)
                | st.sampled_from([f.removesuffix(".avsc") for f in FILES] + FILES)
            )
        if data.draw(st.booleans()):
            manifest[data.draw(st.text(min_size=1, max_size=12))] = dict(manifest[event_type])
        (directory / MANIFEST).write_text(_toml(manifest))
        _load(directory)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(FILES), rename=st.booleans(), new_name=st.text(min_size=1, max_size=20))
def test_a_deleted_or_renamed_file_is_reported(name: str, rename: bool, new_name: str) -> None:
    with _copy() as directory:
        source = directory / name
        if (
            rename
            and "/" not in new_name
            and new_name not in (".", "..")
            and "\x00" not in new_name
        ):
            source.rename(source.with_name(new_name))
        else:
            source.unlink()
        _load(directory)


def _toml(manifest: dict[str, dict[str, Any]]) -> str:
    """TOML for a manifest of tables of strings, integers and lists of integers."""
    lines = []
    for table, entries in manifest.items():
        lines.append(f"[{json.dumps(table)}]")
        lines += [f"{json.dumps(key)} = {json.dumps(value)}" for key, value in entries.items()]
    return "\n".join(lines) + "\n"
