"""The UGC dataset, generated deterministically from a seed: film progress and film ratings.

Rows follow the contracts in schemas/ (`ugc.events.FilmProgress`, `ugc.events.FilmRating`)
with the `context` record flattened into `context_*` columns, as a warehouse table holds
them. The same (seed, rows) always gives the same rows, whatever batch size reads them:
the data is cut into chunks of `CHUNK` rows, and chunk `i` comes from its own random
stream `(seed, kind, i)`, so any chunk can be rebuilt alone.

Progress arrives as viewing sessions: a user opens a film (popular films are opened more
often, Zipf-like), the player reports its position at a steady interval until the session
ends, positions never pass the film's running time. Ratings are a second, smaller table
(`rows // 20` rows, at least 200): the progress contract has no score, so "top films by
rating" needs `ugc.events.FilmRating`. About one rating in twenty re-rates a film the same
user rated earlier (a later rating replaces the earlier one, per the contract).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

CHUNK = 10_000
START_MS = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1000)
SPAN_MS = 30 * 24 * 3600 * 1000
PROGRESS_COLUMNS = (
    "event_id",
    "user_id",
    "occurred_at",
    "received_at",
    "context_app",
    "context_app_version",
    "context_platform",
    "context_user_agent",
    "context_locale",
    "context_session_id",
    "film_id",
    "position_ms",
    "duration_ms",
)
RATING_COLUMNS = (*PROGRESS_COLUMNS[:10], "film_id", "score")
TIMESTAMP_COLUMNS = ("occurred_at", "received_at")

_APPS = ("cinema-web", "cinema-ios", "cinema-android", "cinema-tv")
_PLATFORMS = ("web", "ios", "android", "smart_tv")
_VERSIONS = ("4.10.2", "4.11.0", "4.12.0", "4.12.1")
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Safari/605.1.15",
)
_LOCALES = ("ru-RU", "en-US", "kk-KZ", None)
_PROGRESS, _RATINGS, _WRITES = 1, 2, 3

Column = list[Any] | npt.NDArray[np.int64]


@dataclass(frozen=True)
class Chunk:
    """Rows as columns: UUIDs and text as str (None for null), times and numbers as int64."""

    columns: dict[str, Column]

    def __len__(self) -> int:
        return len(self.columns["event_id"])

    def slice(self, start: int, stop: int) -> Chunk:
        return Chunk({name: values[start:stop] for name, values in self.columns.items()})


class Catalogue:
    """Users and films of a dataset of `rows` progress rows: sizes and ids follow the seed."""

    def __init__(self, seed: int, rows: int) -> None:
        if rows <= 0:
            raise ValueError(f"a dataset needs at least one row, not {rows}")
        self.seed = seed
        self.rows = rows
        rng = np.random.default_rng([seed, 0])
        self.users = _uuids(rng, max(50, rows // 100))
        self.films = _uuids(rng, max(20, rows // 2000))
        minutes = rng.integers(60, 181, size=len(self.films))
        self.durations = minutes.astype(np.int64) * 60_000
        self.quality = rng.uniform(3.0, 9.0, size=len(self.films))
        rank = rng.permutation(len(self.films)) + 1
        weights = 1.0 / (rank + 5.0)
        self.popularity = weights / weights.sum()

    @property
    def rating_rows(self) -> int:
        return max(200, self.rows // 20)


def progress(catalogue: Catalogue) -> Iterator[Chunk]:
    """The dataset's progress rows, chunk by chunk."""
    for index, size in _chunk_sizes(catalogue.rows):
        yield progress_chunk(catalogue, index, size)


def ratings(catalogue: Catalogue) -> Iterator[Chunk]:
    """The dataset's rating rows, chunk by chunk."""
    for index, size in _chunk_sizes(catalogue.rating_rows):
        yield rating_chunk(catalogue, index, size)


def new_progress(catalogue: Catalogue, index: int, size: int) -> Chunk:
    """Progress rows that are not in the dataset: what the mixed workload's writers send."""
    return progress_chunk(catalogue, index, size, stream=_WRITES)


def _chunk_sizes(rows: int) -> Iterator[tuple[int, int]]:
    for index, start in enumerate(range(0, rows, CHUNK)):
        yield index, min(CHUNK, rows - start)


def progress_chunk(catalogue: Catalogue, index: int, size: int, stream: int = _PROGRESS) -> Chunk:
    rng = np.random.default_rng([catalogue.seed, stream, index])
    lengths = rng.integers(1, 41, size=size)
    sessions = int(np.searchsorted(np.cumsum(lengths), size)) + 1
    lengths = lengths[:sessions]
    lengths[-1] -= int(lengths.sum()) - size
    film = rng.choice(len(catalogue.films), size=sessions, p=catalogue.popularity)
    user = rng.integers(0, len(catalogue.users), size=sessions)
    duration = catalogue.durations[film]
    resume = rng.random(sessions) < 0.4
    start_pos = np.where(resume, (rng.random(sessions) * duration).astype(np.int64), 0)
    step = rng.integers(20_000, 90_001, size=sessions)
    started = START_MS + rng.integers(0, SPAN_MS, size=sessions)
    session = np.repeat(np.arange(sessions), lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    tick = np.arange(size) - first
    occurred = started[session] + tick * step[session]
    columns = _context(rng, sessions, session, occurred)
    columns["user_id"] = [catalogue.users[i] for i in user[session]]
    columns["film_id"] = [catalogue.films[i] for i in film[session]]
    columns["position_ms"] = np.minimum(
        start_pos[session] + tick * step[session], duration[session]
    )
    columns["duration_ms"] = duration[session]
    return Chunk(columns)


def rating_chunk(catalogue: Catalogue, index: int, size: int) -> Chunk:
    rng = np.random.default_rng([catalogue.seed, _RATINGS, index])
    film = rng.choice(len(catalogue.films), size=size, p=catalogue.popularity)
    user = rng.integers(0, len(catalogue.users), size=size)
    occurred = START_MS + rng.integers(0, SPAN_MS, size=size)
    rerate = np.flatnonzero(rng.random(size) < 0.05)
    rerate = rerate[rerate > 0]
    earlier = (rng.random(len(rerate)) * rerate).astype(np.int64)
    film[rerate], user[rerate] = film[earlier], user[earlier]
    occurred[rerate] = occurred[earlier] + rng.integers(60_000, 86_400_000, size=len(rerate))
    columns = _context(rng, size, np.arange(size), occurred)
    columns["user_id"] = [catalogue.users[i] for i in user]
    columns["film_id"] = [catalogue.films[i] for i in film]
    scores = np.rint(rng.normal(catalogue.quality[film], 1.5))
    columns["score"] = np.clip(scores, 1, 10).astype(np.int64)
    return Chunk(columns)


def _context(
    rng: np.random.Generator,
    sessions: int,
    session: npt.NDArray[np.int64],
    occurred: npt.NDArray[np.int64],
) -> dict[str, Column]:
    """The columns every event carries: ids, times and the client context, per session."""
    size = len(session)
    app = rng.integers(0, len(_APPS), size=sessions)[session]
    version = rng.integers(0, len(_VERSIONS), size=sessions)[session]
    locale = rng.integers(0, len(_LOCALES), size=sessions)[session]
    agent = rng.integers(0, len(_AGENTS), size=sessions)[session]
    session_ids = _uuids(rng, sessions)
    no_session = rng.random(sessions) < 0.05
    return {
        "event_id": _uuids(rng, size),
        "user_id": [],  # set by the caller; here to keep the contract's column order
        "occurred_at": occurred.astype(np.int64),
        "received_at": occurred + rng.integers(5, 2_000, size=size),
        "context_app": [_APPS[i] for i in app],
        "context_app_version": [_VERSIONS[i] for i in version],
        "context_platform": [_PLATFORMS[i] for i in app],
        "context_user_agent": [
            _AGENTS[a] if p == 0 else None for a, p in zip(agent, app, strict=True)
        ],
        "context_locale": [_LOCALES[i] for i in locale],
        "context_session_id": [None if no_session[s] else session_ids[s] for s in session],
    }


def _uuids(rng: np.random.Generator, count: int) -> list[str]:
    """Random (version 4) UUIDs as canonical strings."""
    raw = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    text = raw.tobytes().hex()
    return [
        f"{text[i : i + 8]}-{text[i + 8 : i + 12]}-{text[i + 12 : i + 16]}-"
        f"{text[i + 16 : i + 20]}-{text[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]
