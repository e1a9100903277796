"""The dead-letter page with a replay that lands the event, in real headless Chromium, on
real Kafka, the real ETL (`ugc etl run`) and the warehouse server: a producer writes with
a schema id the registry does not know yet, the ETL dead-letters it, the console groups it
by reason; once the schema is registered the user replays it in the browser, and the event
is in ClickHouse (asked through the warehouse) and in the console's event id lookup."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import fastavro
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from playwright.sync_api import Page, expect

from contracts.loading import load_contracts
from registry.client import wire
from registry.client.client import RegistryClient
from registry.client.models import SchemaId, Subject
from registry.client.payload import to_datum
from registry.client.serdes import AvroSerializer
from tests.e2e.console.conftest import SCHEMAS, PipelineStack, log_in
from tests.support.etl import count_rows, wait_for

USER = "4c7d2e1a-9b3f-4a6e-8d5c-0e1f2a3b4c5d"


def _contract_and_fix() -> tuple[str, str]:
    """The film_rating contract, and its next version (a new optional `device`)."""
    (contract,) = [c for c in load_contracts(SCHEMAS) if c.subject == "ugc.film_rating-value"]
    fixed = json.loads(contract.schema)
    fixed["fields"].append({"name": "device", "type": ["null", "string"], "default": None})
    return contract.schema, json.dumps(fixed)


def _rating(event_id: str, **extra: Any) -> dict[str, Any]:
    example = json.loads((SCHEMAS / "examples" / "film_rating.json").read_text())
    when = example["occurred_at"]
    return {**example, "event_id": event_id, "user_id": USER, "received_at": when, **extra}


def _letters_on(bootstrap: str, topic: str) -> int:
    """Records on the dead-letter topic (one partition; 0 before the ETL created it)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused"})
    try:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        return int(high)
    except KafkaException:
        return 0
    finally:
        consumer.close()


def _landed(client: Client, view: str, event_id: str, *columns: str) -> list[tuple[Any, ...]]:
    return client.query(
        f"SELECT {', '.join(columns)} FROM {view} WHERE toString(event_id) = {{id:String}}",
        parameters={"id": event_id},
    ).result_rows


def _produce_a_good_event_and_two_poisons(
    stack: PipelineStack, registry: RegistryClient, contract: str, fixed: str, lost_id: str
) -> SchemaId:
    """Offset 0 loads; 1 is not Avro; 2 is written with the fixed schema before it was
    registered (the id it will get, returned)."""
    first = registry.register(Subject(f"{stack.topic}-value"), contract)
    unknown = SchemaId(first + 1)
    good = AvroSerializer(registry, schema=contract, use_latest=False)
    body = io.BytesIO()
    writer = fastavro.parse_schema(json.loads(fixed), named_schemas={})
    fastavro.schemaless_writer(body, writer, to_datum(fixed, _rating(lost_id, device="tv")))
    values = [
        good.serialize(stack.topic, to_datum(contract, _rating(str(uuid.uuid4())))),
        b'{"not": "avro"}',
        wire.frame(unknown, body.getvalue()),
    ]
    producer = Producer({"bootstrap.servers": stack.bootstrap, "acks": "all"})
    for value in values:
        producer.produce(stack.topic, value=value, key=USER.encode(), partition=0)
    assert producer.flush(30) == 0
    return unknown


def _look_up_in_the_console(
    page: Page, stack: PipelineStack, event_id: str, schema_id: int, artifacts: Path
) -> None:
    page.fill("input[name=event_id]", event_id)
    page.locator("form:has(input[name=event_id]) button").click()
    expect(page.locator("h1")).to_contain_text(f"event id {event_id}")
    landing = page.locator("#landings tbody tr").first
    expect(landing.locator("td").nth(0)).to_have_text(f"{stack.event_type}_v1")
    expect(landing).to_contain_text(f"{stack.topic}[0]@3")
    expect(landing.locator("td.num")).to_have_text(str(schema_id))
    expect(page.locator("#landings pre.row")).to_contain_text('"device": "tv"')
    page.screenshot(path=artifacts / "pipeline-replayed-event-landed.png", full_page=True)


def test_an_event_dead_lettered_for_an_unknown_schema_lands_after_a_replay_from_the_console(
    pipeline_stack: PipelineStack, page: Page, artifacts: Path, clickhouse_client: Client
) -> None:
    stack, topic = pipeline_stack, pipeline_stack.topic
    view = f"{stack.database}.{stack.event_type}"
    contract, fixed = _contract_and_fix()
    lost_id = str(uuid.uuid4())
    with RegistryClient(stack.registry_url) as registry:
        unknown = _produce_a_good_event_and_two_poisons(stack, registry, contract, fixed, lost_id)
        wait_for(lambda: count_rows(clickhouse_client, view), 1, etl=stack.etl)
        wait_for(lambda: _letters_on(stack.bootstrap, stack.dead_letters), 2, etl=stack.etl)

        log_in(page, stack.console.url)
        page.click("text=Pipeline")
        by_reason = page.locator("#by-reason tbody tr")
        expect(by_reason).to_have_count(2)
        expect(by_reason.filter(has_text="unknown_schema").locator("td.num")).to_have_text("1")
        expect(by_reason.filter(has_text="wire").locator("td.num")).to_have_text("1")
        lost = page.locator("#letters tbody tr").filter(has_text="unknown_schema")
        expect(lost).to_contain_text(f"{topic}[0]@2")
        expect(lost).to_contain_text(f"schema id {unknown}: the registry has no schema")
        fresh = page.locator("#freshness tbody tr").filter(has_text=view)
        expect(fresh.locator("td.num").first).to_have_text("1")
        page.screenshot(path=artifacts / "pipeline-dead-letters.png", full_page=True)

        assert registry.register(Subject(f"{topic}-value"), fixed) == unknown  # the fix
    lost.locator("button.replay").click()
    expect(page.locator(".flash")).to_contain_text(
        f"replayed {topic}[0]@2 to {topic} partition 0 at offset 3"
    )
    where = ("_topic", "_partition", "_offset", "_schema_id")
    wait_for(
        lambda: _landed(clickhouse_client, view, lost_id, *where),
        [(topic, 0, 3, unknown)],
        etl=stack.etl,
    )  # the column `device` exists once the ETL extended the table for the fixed schema
    score = _rating(lost_id)["score"]
    assert _landed(clickhouse_client, view, lost_id, "score", "device") == [(score, "tv")]
    assert count_rows(clickhouse_client, view) == 2
    assert _letters_on(stack.bootstrap, stack.dead_letters) == 2  # the replay loaded

    page.reload()
    expect(fresh.locator("td.num").first).to_have_text("2")
    decision = page.locator("#schema-map tbody tr").filter(has_text=f"{stack.event_type}_v1")
    expect(decision).to_have_count(2)  # the fixed schema extended the table
    expect(decision.nth(1).locator("td.num").first).to_have_text(str(unknown))
    page.screenshot(path=artifacts / "pipeline-after-replay.png", full_page=True)
    _look_up_in_the_console(page, stack, lost_id, unknown, artifacts)
