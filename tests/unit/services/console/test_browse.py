from __future__ import annotations

import pytest

from registry.client.fake import InMemoryRegistry
from services.console.browse import Anchor, MessageBrowser, PageQuery
from services.console.decoding import MessageDecoder
from services.console.errors import BadInputError
from services.console.filters import MessageFilter
from tests.unit.services.console.conftest import TOPIC
from tests.unit.services.console.fakes import FakeCluster


def _browser(cluster: FakeCluster, registry: InMemoryRegistry, **options: int) -> MessageBrowser:
    return MessageBrowser(cluster, MessageDecoder(registry), **options)


def _offsets(browser: MessageBrowser, query: PageQuery) -> list[int]:
    return [m.raw.offset for m in browser.page(query).messages]


def test_newest_first_pages_go_back_in_time_and_link_both_ways(
    cluster: FakeCluster, registry: InMemoryRegistry
) -> None:
    browser = _browser(cluster, registry)
    first = browser.page(PageQuery(TOPIC, size=4))
    assert [m.raw.offset for m in first.messages] == [9, 8, 7, 6]
    assert (first.older, first.newer) == (5, None)
    second = browser.page(PageQuery(TOPIC, anchor=Anchor.OFFSET, at=5, size=4))
    assert [m.raw.offset for m in second.messages] == [5, 4, 3, 2]
    assert (second.older, second.newer) == (1, 9)


def test_oldest_first_goes_forward(cluster: FakeCluster, registry: InMemoryRegistry) -> None:
    browser = _browser(cluster, registry)
    page = browser.page(PageQuery(TOPIC, anchor=Anchor.OLDEST, newest_first=False, size=3))
    assert [m.raw.offset for m in page.messages] == [0, 1, 2]
    assert (page.older, page.newer) == (None, 3)


def test_a_page_reads_only_around_its_anchor(
    cluster: FakeCluster, registry: InMemoryRegistry
) -> None:
    _browser(cluster, registry).page(PageQuery(TOPIC, anchor=Anchor.OFFSET, at=6, size=2))
    assert cluster.reads == [(TOPIC, 0, 5, 7)]


def test_an_offset_past_the_end_shows_the_newest_with_a_note(
    cluster: FakeCluster, registry: InMemoryRegistry
) -> None:
    page = _browser(cluster, registry).page(
        PageQuery(TOPIC, anchor=Anchor.OFFSET, at=10**12, size=2)
    )
    assert [m.raw.offset for m in page.messages] == [9, 8]
    assert page.notes == [f"offset {10**12} is past the end (the last offset is 9)"]


def test_a_time_anchors_at_the_first_message_at_or_after_it(
    cluster: FakeCluster, registry: InMemoryRegistry
) -> None:
    stamp = cluster.partitions[TOPIC][0][4].timestamp_ms
    assert stamp is not None
    query = PageQuery(TOPIC, anchor=Anchor.TIMESTAMP, at=stamp, newest_first=False, size=2)
    page = _browser(cluster, registry).page(query)
    assert [m.raw.offset for m in page.messages] == [4, 5]
    assert page.notes == ["the first message at or after that time is offset 4"]


def test_a_filtered_page_reports_how_many_it_scanned(
    cluster: FakeCluster, registry: InMemoryRegistry
) -> None:
    browser = _browser(cluster, registry)
    page = browser.page(PageQuery(TOPIC, size=2, filter=MessageFilter(where="score <= 3")))
    assert [m.raw.offset for m in page.messages] == [2, 1]
    assert (page.scanned, page.first_scanned, page.last_scanned) == (9, 9, 1)
    assert page.older == 0


def test_a_filtered_page_stops_at_the_scan_limit_and_says_so(
    cluster: FakeCluster, registry: InMemoryRegistry
) -> None:
    browser = _browser(cluster, registry, scan_limit=4)
    page = browser.page(PageQuery(TOPIC, size=5, filter=MessageFilter(key="user-1")))
    assert page.scan_limited
    assert page.scanned == 4
    assert [m.raw.offset for m in page.messages] == [9]  # user-10 holds "user-1"
    assert page.older == 5


def test_an_empty_partition_is_a_page_with_a_note(registry: InMemoryRegistry) -> None:
    cluster = FakeCluster()
    cluster.add_topic("empty")
    page = _browser(cluster, registry).page(PageQuery("empty"))
    assert page.messages == []
    assert page.notes == ["partition 0 holds no messages"]


@pytest.mark.parametrize(
    "options",
    [{"size": 0}, {"size": 201}, {"anchor": Anchor.OFFSET}, {"anchor": Anchor.OFFSET, "at": -1}],
)
def test_a_bad_query_is_refused(options: dict[str, object]) -> None:
    with pytest.raises(BadInputError):
        PageQuery(TOPIC, **options)  # type: ignore[arg-type]


def test_a_big_value_is_shown_truncated(registry: InMemoryRegistry) -> None:
    cluster = FakeCluster()
    cluster.add_topic("raw")
    cluster.produce("raw", b"\x7f" * 5_000_000)
    shown = _browser(cluster, registry, shown_bytes=1024).page(PageQuery("raw")).messages[0]
    assert shown.value_bytes == 5_000_000
    assert len(shown.value_text) <= 1024
    assert shown.decoded.failure == "wire"
