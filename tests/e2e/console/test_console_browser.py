"""The console in real headless Chromium against a running local stack on real Kafka: an
event sent through the ingest API appears decoded with its fields and schema version; the
schema diff page; the consumer lag page; the dead-letter page with a replay that puts the
event back on its topic; writes refused read-only and without a login. Each test saves a
screenshot as a test artifact."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from confluent_kafka import Consumer, Producer, TopicPartition
from playwright.sync_api import Page, expect

from registry.client.client import RegistryClient
from registry.client.models import Subject
from registry.client.payload import to_datum
from registry.client.serdes import AvroSerializer
from services.api.auth import mint_token
from tests.e2e.console.conftest import JWT_SECRET, SCHEMAS, Stack, log_in

USER = "2b1f0d6e-8c3a-4f5b-9d7e-1a2b3c4d5e6f"


def _send_rating(stack: Stack) -> tuple[str, dict[str, int]]:
    event = json.loads((SCHEMAS / "examples" / "film_rating.json").read_text())
    event_id = str(uuid.uuid4())
    answer = httpx.post(
        f"{stack.api.url}/api/v1/events/film_rating",
        json={**event, "event_id": event_id},
        headers={"Authorization": f"Bearer {mint_token(USER, JWT_SECRET)}"},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    return event_id, answer.json()


def test_an_event_sent_through_the_api_appears_decoded_with_its_schema_version(
    stack: Stack, page: Page, artifacts: Path
) -> None:
    event = json.loads((SCHEMAS / "examples" / "film_rating.json").read_text())
    event_id, where = _send_rating(stack)
    page.goto(f"{stack.console.url}/topics")
    page.click("text=ugc.film_rating")
    page.click("text=messages")
    page.fill("input[name=text]", event_id)
    page.click("button:has-text('Show')")
    row = page.locator("#messages tbody tr").first
    expect(row).to_contain_text(event_id)
    expect(row).to_contain_text(f'"score": {event["score"]}')
    expect(row).to_contain_text("ugc.film_rating-value")
    expect(row.locator(".writer .badge")).to_have_text("v1")
    expect(row.locator("td.key")).to_have_text(USER)
    expect(page.locator("#scan-report")).to_contain_text("1 matched")
    page.screenshot(path=artifacts / "messages.png")
    row.locator("td.num a").click()
    expect(page.locator("h1")).to_contain_text(f"[{where['partition']}] @ {where['offset']}")
    expect(page.locator("#hex")).to_contain_text("00000000  00 00 00 00")
    page.screenshot(path=artifacts / "message.png", full_page=True)


def test_the_live_tail_shows_a_new_event_without_a_reload(stack: Stack, page: Page) -> None:
    _, where = _send_rating(stack)
    page.goto(f"{stack.console.url}/topics/ugc.film_rating/messages?partition={where['partition']}")
    page.check("#live")
    later_id, _ = _send_rating(stack)  # the same user: the same partition
    expect(page.locator("#messages tbody tr").first).to_contain_text(later_id)


def test_the_schema_diff_page_shows_each_changed_field(
    stack: Stack, page: Page, artifacts: Path, unique_name: Callable[[str], str]
) -> None:
    subject = Subject(unique_name("diffed") + "-value")
    v1 = {"type": "record", "name": "Diffed", "fields": [{"name": "id", "type": "string"}]}
    v2 = {
        **v1,
        "fields": [*v1["fields"], {"name": "note", "type": ["null", "string"], "default": None}],
    }
    with RegistryClient(stack.registry_url) as registry:
        registry.register(subject, json.dumps(v1))
        registry.register(subject, json.dumps(v2))
    page.goto(f"{stack.console.url}/schemas")
    page.click(f"text={subject}")
    page.click("text=diff with v1")
    expect(page.locator("h1")).to_contain_text("v1 → v2")
    added = page.locator("#diff tr.added")
    expect(added).to_have_count(1)
    expect(added).to_contain_text("note")
    expect(added).to_contain_text("added note: null | string (default null)")
    page.screenshot(path=artifacts / "schema-diff.png", full_page=True)


def test_the_consumer_lag_page_shows_lag_per_partition(
    stack: Stack, page: Page, artifacts: Path, unique_name: Callable[[str], str]
) -> None:
    topic, group = unique_name("lagging"), unique_name("group")
    producer = Producer({"bootstrap.servers": stack.bootstrap})
    for _ in range(12):
        producer.produce(topic, value=b"x")
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": stack.bootstrap, "group.id": group})
    consumer.commit(offsets=[TopicPartition(topic, 0, 5)], asynchronous=False)
    consumer.close()
    page.goto(f"{stack.console.url}/groups")
    page.click(f"text={group}")
    expect(page.locator("#total-lag")).to_have_text("7")
    expect(page.locator("#lag tbody tr")).to_contain_text(topic)
    expect(page.locator("#lag td.lag")).to_have_text("7")
    page.screenshot(path=artifacts / "consumer-lag.png", full_page=True)


def test_a_dead_letter_is_grouped_by_reason_and_replays_to_its_topic(
    stack: Stack, page: Page, artifacts: Path, unique_name: Callable[[str], str]
) -> None:
    source = unique_name("ugc.replayed")
    with RegistryClient(stack.registry_url) as registry:
        serializer = AvroSerializer(
            registry, subject_name_strategy=lambda _: Subject("ugc.film_rating-value")
        )
        event = json.loads((SCHEMAS / "examples" / "film_rating.json").read_text())
        event_id = str(uuid.uuid4())
        datum = {
            **event,
            "event_id": event_id,
            "user_id": USER,
            "received_at": event["occurred_at"],
        }
        value = serializer.serialize(
            source, to_datum(registry.get_latest(Subject("ugc.film_rating-value")).schema, datum)
        )
    producer = Producer({"bootstrap.servers": stack.bootstrap})
    producer.produce(source, value=b"placeholder", key=USER.encode())
    headers = {
        "ugc.reason": b"mapping",
        "ugc.error": b"column score: value out of range",
        "ugc.source.topic": source.encode(),
        "ugc.source.partition": b"0",
        "ugc.source.offset": b"0",
        "ugc.failed_at": b"1764662400000",
    }
    producer.produce(
        stack.dead_letters, value=value, key=USER.encode(), headers=list(headers.items())
    )
    assert producer.flush(30) == 0
    log_in(page, stack.console.url)
    page.click("text=Pipeline")
    expect(page.locator("#by-reason")).to_contain_text("mapping")
    expect(page.locator("#letters")).to_contain_text("column score: value out of range")
    page.screenshot(path=artifacts / "dead-letters.png", full_page=True)
    page.click("#letters button.replay")
    expect(page.locator(".flash")).to_contain_text(f"to {source} partition 0 at offset 1")
    page.goto(f"{stack.console.url}/topics/{source}/messages/0/1")
    expect(page.locator("#value")).to_contain_text(event_id)
    expect(page.locator("table.configs")).to_contain_text("ugc.replayed_from")


def test_writes_are_refused_without_login_and_in_read_only_mode(
    stack: Stack, page: Page, artifacts: Path, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("refused")
    page.goto(f"{stack.console.url}/topics")
    page.fill("input[name=name]", name)
    page.click("button:has-text('Create')")
    expect(page.locator("#error-message")).to_have_text("log in before changing anything")
    page.screenshot(path=artifacts / "refused-no-login.png")
    log_in(page, stack.read_only.url)
    page.goto(f"{stack.read_only.url}/topics")
    expect(page.locator(".badge.ro")).to_have_text("read-only")
    page.fill("input[name=name]", name)
    page.click("button:has-text('Create')")
    expect(page.locator("#error-message")).to_contain_text("the console is read-only")
    page.screenshot(path=artifacts / "refused-read-only.png")
    page.goto(f"{stack.console.url}/topics")
    expect(page.locator("#topics")).not_to_contain_text(name)
