"""`ugc demo`: realistic cinema traffic through the API, so the local stack shows a living
system. Each simulated viewer has one visit — home page, a search, a film card, playback
with progress reports, pauses and seeks, then perhaps a bookmark, a rating and a review —
sent as one batch with the viewer's own token. Event types the demo does not model (a
contract registered later) are sent as their published example, once per visit.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.api.auth import mint_token

FILMS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"ugc-demo-film-{n}")) for n in range(40)]
QUERIES = ["nolan", "comedy 2024", "solaris", "space", "tarkovsky", "heist", "anime", "noir"]
APPS = [("cinema-web", "4.12.0", "web"), ("cinema-tv", "2.3.1", "smart_tv"),
        ("cinema-ios", "7.1.0", "ios"), ("cinema-android", "7.0.4", "android")]  # fmt: skip
REVIEWS = [
    ("Slow start, brilliant finale", "The last forty minutes make up for the first act."),
    ("Not for me", "Beautiful to look at, but I never cared about the characters."),
    ("A rewatch favourite", "Better the second time, once you know where it is going."),
]


@dataclass
class Visit:
    """One viewer's events, in the order they happened."""

    user_id: str
    events: list[dict[str, Any]] = field(default_factory=list)


class VisitBuilder:
    def __init__(self, rng: random.Random, user_id: str, start: datetime) -> None:
        self.rng = rng
        self.visit = Visit(user_id)
        self.now = start
        name, version, platform = rng.choice(APPS)
        self.context = {"app": name, "app_version": version, "platform": platform,
                        "locale": rng.choice(["ru-RU", "en-GB", "de-DE"]),
                        "session_id": str(uuid.UUID(int=rng.getrandbits(128)))}  # fmt: skip

    def add(self, event_type: str, seconds_later: float, **fields: Any) -> None:
        self.now += timedelta(seconds=seconds_later)
        event = {"occurred_at": self.now.isoformat(), "context": self.context, **fields}
        self.visit.events.append({"type": event_type, "event": event})

    def browse(self, film: str) -> None:
        self.add("page_view", 0, url="https://cinema.example/", title="Home",
                 duration_ms=self.rng.randint(2_000, 20_000))  # fmt: skip
        query = self.rng.choice(QUERIES)
        self.add("search_query", 5, query=query, result_count=self.rng.randint(0, 40))
        self.add("click", 3, page="search", element="film_card", film_id=film)
        self.add("page_view", 1, url=f"https://cinema.example/films/{film}", title="Film",
                 referrer="https://cinema.example/search")  # fmt: skip

    def watch(self, film: str) -> None:
        duration = self.rng.randint(80, 170) * 60_000
        position = 0
        self.add("player_event", 2, film_id=film, action="play", position_ms=0)
        for _ in range(self.rng.randint(2, 8)):
            position = min(duration, position + self.rng.randint(5, 15) * 60_000)
            self.add("film_progress", 300, film_id=film, position_ms=position,
                     duration_ms=duration)  # fmt: skip
            if self.rng.random() < 0.2:
                target = min(duration, position + 120_000)
                self.add("player_event", 10, film_id=film, action="seek",
                         position_ms=target, seek_from_ms=position)  # fmt: skip
                position = target
        self.add("player_event", 5, film_id=film, action="stop", position_ms=position)

    def react(self, film: str) -> None:
        if self.rng.random() < 0.3:
            self.add("bookmark", 4, film_id=film, action="added")
        if self.rng.random() < 0.6:
            self.add("film_rating", 20, film_id=film, score=self.rng.randint(3, 10))
        if self.rng.random() < 0.15:
            title, text = self.rng.choice(REVIEWS)
            self.add("film_review", 60, film_id=film, review_id=str(uuid.uuid4()),
                     title=title, text=text, contains_spoilers=False, language="en")  # fmt: skip


def visits(
    count: int, examples: dict[str, dict[str, Any]], seed: int | None = None
) -> Iterator[Visit]:
    """Visits with `count` events in all; types outside `examples` are left out."""
    rng = random.Random(seed)
    users = [
        str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(max(5, count // 25))
    ]
    sent = 0
    while sent < count:
        builder = VisitBuilder(rng, rng.choice(users), datetime.now(UTC) - timedelta(hours=3))
        film = rng.choice(FILMS)
        builder.browse(film)
        builder.watch(film)
        builder.react(film)
        modelled = {item["type"] for item in builder.visit.events}
        for event_type in sorted(set(examples) - modelled - _MODELLED):
            builder.visit.events.append({"type": event_type, "event": examples[event_type]})
        builder.visit.events = [e for e in builder.visit.events if e["type"] in examples]
        builder.visit.events = builder.visit.events[: count - sent]
        sent += len(builder.visit.events)
        yield builder.visit


_MODELLED = {"page_view", "search_query", "click", "player_event", "film_progress",
             "bookmark", "film_rating", "film_review"}  # fmt: skip


@dataclass
class DemoSummary:
    accepted: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    users: set[str] = field(default_factory=set)
    visits: int = 0


def run_demo(
    api_url: str,
    secret: str,
    events: int,
    *,
    concurrency: int = 8,
    seed: int | None = None,
    transport: httpx.BaseTransport | None = None,
) -> DemoSummary:
    """Send `events` events as visits; answers what was accepted and what failed."""
    with httpx.Client(base_url=api_url, timeout=30.0, transport=transport) as http:
        answer = http.get("/api/v1/event-types")
        answer.raise_for_status()
        examples = {t["event_type"]: t["example"] for t in answer.json()["event_types"]}
        summary = DemoSummary()
        send = _sender(http, secret, summary)
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(send, visits(events, examples, seed)))
    return summary


def _sender(http: httpx.Client, secret: str, summary: DemoSummary) -> Callable[[Visit], None]:
    lock = threading.Lock()

    def send(visit: Visit) -> None:
        headers = {"Authorization": f"Bearer {mint_token(visit.user_id, secret, ttl=600)}"}
        response = http.post("/api/v1/events", json=visit.events, headers=headers)
        types = Counter(item["type"] for item in visit.events)
        with lock:
            _count(summary, visit, types, response)

    return send


def _count(
    summary: DemoSummary, visit: Visit, types: Counter[str], response: httpx.Response
) -> None:
    summary.visits += 1
    summary.users.add(visit.user_id)
    if response.status_code == 202:
        summary.accepted.update(types)
    else:
        reason = f"{response.status_code} {response.json().get('error', '')}".strip()
        summary.failed[reason] += sum(types.values())
