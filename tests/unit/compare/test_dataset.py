"""The generated dataset is reproducible from its seed and is what the contracts define."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastavro
import numpy as np
import pytest

from compare import dataset
from compare.dataset import Catalogue, Chunk
from contracts.loading import load_contracts

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def _contract_schema(full_name: str) -> Any:
    contract = next(c for c in load_contracts(SCHEMAS) if c.full_name == full_name)
    return fastavro.parse_schema(contract.parsed_schema)


def _record(chunk: Chunk, row: int) -> dict[str, Any]:
    """Row `row` as the Avro record: the context_* columns folded back into `context`."""
    record: dict[str, Any] = {"context": {}}
    for name, values in chunk.columns.items():
        value = values[row]
        value = value.item() if isinstance(value, np.generic) else value
        if name.startswith("context_"):
            record["context"][name.removeprefix("context_")] = value
        else:
            record[name] = value
    return record


def _flat_fields(schema: Any) -> list[str]:
    names = []
    for field in schema["fields"]:
        if field["name"] == "context":
            names += [f"context_{f['name']}" for f in field["type"]["fields"]]
        else:
            names.append(field["name"])
    return names


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows() -> None:
    first = list(dataset.progress(Catalogue(7, 25_000)))
    again = list(dataset.progress(Catalogue(7, 25_000)))
    other = list(dataset.progress(Catalogue(8, 25_000)))
    for a, b in zip(first, again, strict=True):
        for name in dataset.PROGRESS_COLUMNS:
            assert list(a.columns[name]) == list(b.columns[name])
    assert first[0].columns["event_id"] != other[0].columns["event_id"]


def test_the_dataset_has_exactly_the_rows_asked_for_in_chunks() -> None:
    catalogue = Catalogue(1, 25_001)
    sizes = [len(chunk) for chunk in dataset.progress(catalogue)]
    assert sizes == [10_000, 10_000, 5_001]
    assert sum(len(c) for c in dataset.ratings(catalogue)) == catalogue.rating_rows == 1_250


@pytest.mark.parametrize(
    ("full_name", "columns", "chunks"),
    [
        ("ugc.events.FilmProgress", dataset.PROGRESS_COLUMNS, dataset.progress),
        ("ugc.events.FilmRating", dataset.RATING_COLUMNS, dataset.ratings),
    ],
)
def test_rows_are_valid_events_of_their_contract(full_name: str, columns: Any, chunks: Any) -> None:
    schema = _contract_schema(full_name)
    assert _flat_fields(schema) == list(columns)
    chunk = next(chunks(Catalogue(3, 5_000)))
    assert list(chunk.columns) == list(columns)
    for row in range(0, len(chunk), 97):
        assert fastavro.validation.validate(_record(chunk, row), schema, raise_errors=True)


def test_event_ids_are_unique_and_positions_stay_within_the_film() -> None:
    chunks = list(dataset.progress(Catalogue(5, 30_000)))
    ids = [i for chunk in chunks for i in chunk.columns["event_id"]]
    assert len(set(ids)) == len(ids)
    for chunk in chunks:
        position = np.asarray(chunk.columns["position_ms"])
        assert (position >= 0).all()
        assert (position <= np.asarray(chunk.columns["duration_ms"])).all()
        assert (np.asarray(chunk.columns["received_at"]) > chunk.columns["occurred_at"]).all()


def test_some_users_rate_a_film_again_later_and_scores_stay_in_range() -> None:
    chunk = next(dataset.ratings(Catalogue(5, 200_000)))
    scores = np.asarray(chunk.columns["score"])
    assert scores.min() >= 1 and scores.max() <= 10
    pairs = list(zip(chunk.columns["user_id"], chunk.columns["film_id"], strict=True))
    assert len(set(pairs)) < len(pairs)


def test_new_progress_for_writers_is_not_in_the_dataset() -> None:
    catalogue = Catalogue(5, 10_000)
    dataset_ids = set(next(dataset.progress(catalogue)).columns["event_id"])
    assert not dataset_ids & set(dataset.new_progress(catalogue, 0, 1_000).columns["event_id"])


def test_an_empty_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        Catalogue(1, 0)
