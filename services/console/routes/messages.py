"""Messages: a page of one partition (newest first, from an offset or a time, filtered),
its live tail (the same page as a fragment, fetched again by console.js), one message in
full with its raw bytes in hex."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request

from services.console.browse import Anchor, PageQuery
from services.console.errors import BadInputError
from services.console.filters import MessageFilter
from services.console.routes import console, int_arg

blueprint = Blueprint("messages", __name__)


def parse_time(text: str) -> int:
    """Milliseconds since the epoch from digits, or an ISO-8601 time (UTC unless it says)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInputError(
            f"time {text[:40]!r} is neither milliseconds since the epoch nor ISO-8601 "
            "(2026-12-02T08:30:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def page_query(topic: str) -> PageQuery:
    args = request.args
    try:
        anchor = Anchor(args.get("anchor") or Anchor.NEWEST.value)
    except ValueError:
        raise BadInputError("anchor must be newest, oldest, offset or timestamp") from None
    at: int | None = None
    raw_at = args.get("at", "")
    if anchor is Anchor.OFFSET:
        at = int_arg(raw_at, "offset")
    elif anchor is Anchor.TIMESTAMP:
        if not raw_at.strip():
            raise BadInputError("a page from a time needs the time")
        at = parse_time(raw_at)
    order = args.get("order", "newest")
    if order not in ("newest", "oldest"):
        raise BadInputError("order must be newest or oldest")
    settings = console().settings
    return PageQuery(
        topic,
        partition=int_arg(args.get("partition"), "partition", default=0),
        anchor=anchor,
        at=at,
        newest_first=order == "newest",
        size=int_arg(args.get("size"), "size", default=settings.console_page_size, low=1, high=200),
        filter=MessageFilter(args.get("key", ""), args.get("text", ""), args.get("where", "")),
    )


@blueprint.get("/topics/<topic>/messages")
def page(topic: str) -> str:
    app = console()
    state = app.cluster.topic(topic)
    query = page_query(topic)
    result = app.browser.page(query, state)
    template = "messages_rows.html" if request.args.get("fragment") == "1" else "messages.html"
    return render_template(
        template, topic=state, page=result, query=query, live=request.args.get("live") == "1"
    )


@blueprint.get("/topics/<topic>/messages/<int:partition>/<int:offset>")
def message(topic: str, partition: int, offset: int) -> str:
    app = console()
    shown = app.browser.message(topic, partition, offset)
    value = shown.raw.value or b""
    limit = app.settings.console_shown_bytes
    return render_template(
        "message.html",
        topic=topic,
        message=shown,
        hex_rows=hex_rows(value[:limit]),
        hex_truncated=len(value) > limit,
        shown_bytes=limit,
    )


def hex_rows(data: bytes) -> list[tuple[str, str, str]]:
    """(offset, hex, printable) per 16 bytes, as hexdump -C shows them."""
    rows = []
    for start in range(0, len(data), 16):
        chunk = data[start : start + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append((f"{start:08x}", " ".join(f"{b:02x}" for b in chunk), text))
    return rows
