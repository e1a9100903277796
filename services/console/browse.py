"""Pages of messages: the service behind the messages page, its live tail and the
"schemas seen on this topic" table.

A page is anchored at one offset of one partition (the newest, the oldest, an offset, or the
first offset at or after a timestamp) and reads only around it, so its cost does not grow
with the topic. Newest first, the anchor is the top row and the page goes back in time;
oldest first, it goes forward. With a filter the page scans in chunks until it has `size`
matches, the partition ends, or `scan_limit` messages were scanned, and reports how many it
scanned and where it stopped, so the next page continues from there. An anchor outside the
partition is clamped to it, with a note saying so.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from registry.client import wire
from registry.client.errors import DeserializationError
from registry.client.models import SchemaId
from services.console.cluster import Cluster, PartitionState, TopicState
from services.console.decoding import Decoded, MessageDecoder, Writer, pretty
from services.console.errors import BadInputError
from services.console.filters import MessageFilter
from services.console.reader import RawMessage

_CHUNK = 500
MAX_PAGE_SIZE = 200


class Anchor(enum.StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    OFFSET = "offset"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class PageQuery:
    topic: str
    partition: int = 0
    anchor: Anchor = Anchor.NEWEST
    at: int | None = None  # the offset, or the timestamp in ms since the epoch
    newest_first: bool = True
    size: int = 25
    filter: MessageFilter = field(default_factory=MessageFilter)

    def __post_init__(self) -> None:
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise BadInputError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        if self.anchor in (Anchor.OFFSET, Anchor.TIMESTAMP) and self.at is None:
            raise BadInputError(f"a page from an {self.anchor.value} needs a value")
        if self.at is not None and self.at < 0:
            raise BadInputError(f"{self.anchor.value} must not be negative, got {self.at}")


@dataclass(frozen=True)
class ShownMessage:
    raw: RawMessage
    decoded: Decoded
    key_text: str
    value_text: str  # pretty JSON when decoded, else a hex preview
    value_bytes: int
    truncated: bool


@dataclass
class Page:
    query: PageQuery
    state: PartitionState
    messages: list[ShownMessage] = field(default_factory=list)
    scanned: int = 0
    first_scanned: int | None = None
    last_scanned: int | None = None
    anchor_offset: int | None = None
    older: int | None = None  # the anchor of the next page back in time
    newer: int | None = None
    notes: list[str] = field(default_factory=list)
    scan_limited: bool = False


def key_text(key: bytes | None) -> str:
    if key is None:
        return ""
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + key.hex()


def hex_preview(data: bytes | None, limit: int) -> str:
    if data is None:
        return ""
    return " ".join(f"{b:02x}" for b in data[:limit]) + (" …" if len(data) > limit else "")


class MessageBrowser:
    def __init__(
        self,
        cluster: Cluster,
        decoder: MessageDecoder,
        *,
        scan_limit: int = 10_000,
        shown_bytes: int = 64 * 1024,
    ) -> None:
        self.cluster = cluster
        self.decoder = decoder
        self.scan_limit = scan_limit
        self.shown_bytes = shown_bytes

    def show(self, raw: RawMessage) -> ShownMessage:
        decoded = self.decoder.decode(raw.value)
        size = len(raw.value or b"")
        if decoded.ok:
            text = pretty(decoded.value)
        else:
            text = hex_preview(raw.value, min(self.shown_bytes, 512))
        truncated = len(text) > self.shown_bytes
        return ShownMessage(
            raw, decoded, key_text(raw.key), text[: self.shown_bytes], size, truncated
        )

    def page(self, query: PageQuery, topic: TopicState | None = None) -> Page:
        """The page `query` asks for; `topic` saves a metadata round trip when known."""
        state = (topic or self.cluster.topic(query.topic)).partition(query.partition)
        page = Page(query, state)
        if state.high <= state.low:
            page.notes.append(f"partition {query.partition} holds no messages")
            return page
        anchor = self._anchor(query, state, page.notes)
        page.anchor_offset = anchor
        matches = query.filter.matcher()
        step = -1 if query.newest_first else 1
        for raw in self._scan(query, state, anchor, step):
            page.scanned += 1
            page.first_scanned = raw.offset if page.first_scanned is None else page.first_scanned
            page.last_scanned = raw.offset
            shown = self.show(raw)
            compact = json.dumps(shown.decoded.value) if shown.decoded.ok else shown.value_text
            if not query.filter.active or matches(shown.key_text, compact, shown.decoded.value):
                page.messages.append(shown)
            if len(page.messages) >= query.size:
                break
            if query.filter.active and page.scanned >= self.scan_limit:
                page.scan_limited = True
                break
        self._links(page, anchor, step)
        return page

    def _anchor(self, query: PageQuery, state: PartitionState, notes: list[str]) -> int:
        last = state.high - 1
        if query.anchor is Anchor.NEWEST:
            return last
        if query.anchor is Anchor.OLDEST:
            return state.low
        assert query.at is not None
        if query.anchor is Anchor.TIMESTAMP:
            return self._at_time(query, state, query.at, notes)
        if query.at > last:
            notes.append(f"offset {query.at} is past the end (the last offset is {last})")
        elif query.at < state.low:
            notes.append(f"offset {query.at} is before the first kept offset {state.low}")
        return max(state.low, min(query.at, last))

    def _at_time(self, query: PageQuery, state: PartitionState, at: int, notes: list[str]) -> int:
        found = self.cluster.offset_for_time(query.topic, query.partition, at)
        if found is None:
            notes.append("no message is at or after that time; showing the newest")
            return state.high - 1
        notes.append(f"the first message at or after that time is offset {found}")
        return max(state.low, min(found, state.high - 1))

    def _scan(
        self, query: PageQuery, state: PartitionState, anchor: int, step: int
    ) -> Iterator[RawMessage]:
        chunk = _CHUNK if query.filter.active else query.size
        cursor = anchor
        while state.low <= cursor < state.high:
            if step < 0:
                start, stop = max(state.low, cursor - chunk + 1), cursor + 1
            else:
                start, stop = cursor, min(state.high, cursor + chunk)
            batch = self.cluster.read(query.topic, query.partition, start, stop)
            yield from (reversed(batch) if step < 0 else batch)
            cursor = start - 1 if step < 0 else stop

    def _links(self, page: Page, anchor: int, step: int) -> None:
        state, size = page.state, page.query.size
        last = page.last_scanned
        if step < 0:
            page.older = last - 1 if last is not None and last - 1 >= state.low else None
            page.newer = min(state.high - 1, anchor + size) if anchor < state.high - 1 else None
        else:
            page.newer = last + 1 if last is not None and last + 1 < state.high else None
            page.older = max(state.low, anchor - size) if anchor > state.low else None

    def message(self, topic: str, partition: int, offset: int) -> ShownMessage:
        state = self.cluster.topic(topic).partition(partition)
        if not state.low <= offset < state.high:
            raise BadInputError(
                f"offset {offset} is outside partition {partition} "
                f"(offsets {state.low} to {state.high - 1})"
            )
        found = self.cluster.read(topic, partition, offset, offset + 1)
        if not found:
            raise BadInputError(f"offset {offset} holds no message (a transaction marker?)")
        return self.show(found[0])


@dataclass(frozen=True)
class SchemaUsage:
    schema_id: SchemaId | None  # None: values that are not Confluent-framed
    writer: Writer | None
    messages: int


def schema_usage(
    cluster: Cluster, decoder: MessageDecoder, topic: str, per_partition: int = 1000
) -> tuple[list[SchemaUsage], int]:
    """Which writer schemas the newest `per_partition` messages of each partition carry."""
    counts: Counter[SchemaId | None] = Counter()
    sampled = 0
    for state in cluster.topic(topic).partitions:
        start = max(state.low, state.high - per_partition)
        for raw in cluster.read(topic, state.partition, start, state.high):
            sampled += 1
            try:
                framed_id, _ = wire.unframe(raw.value or b"")
            except DeserializationError:
                counts[None] += 1
                continue
            counts[framed_id] += 1
    usage = []
    for schema_id, count in counts.most_common():
        writer = None
        if schema_id is not None:
            try:
                writer = decoder.writer(schema_id)
            except DeserializationError:
                writer = None
        usage.append(SchemaUsage(schema_id, writer, count))
    return usage, sampled
