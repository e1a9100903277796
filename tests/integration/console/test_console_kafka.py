"""The console against the real broker and registry: pages from offsets and times on real
partitions, bad input that must never be a 500 (an offset past the end, an unknown topic,
a 5 MB message, binary bytes, a filter that does not parse, a forged CSRF token), writes
(create, produce, delete), and consumer-group lag with an offset reset."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]
from flask.testing import FlaskClient

from registry.client.client import RegistryClient
from registry.client.models import Subject
from registry.client.serdes import AvroSerializer
from tests.integration.console.conftest import csrf_of, log_in


def _ratings(registry_url: str, subject: Subject, scores: range) -> list[bytes]:
    with RegistryClient(registry_url) as registry:
        serializer = AvroSerializer(registry, subject_name_strategy=lambda _: subject)
        return [
            serializer.serialize("any", {"event_id": f"e-{score}", "score": score})
            for score in scores
        ]


def test_a_real_partition_pages_from_an_offset_and_from_a_time(
    client: FlaskClient,
    make_topic: Callable[..., str],
    produce: Callable[..., None],
    registry_url: str,
    rating_subject: Subject,
) -> None:
    topic = make_topic()
    produce(topic, _ratings(registry_url, rating_subject, range(200)), key=b"user-1")
    page = client.get(f"/topics/{topic}/messages?anchor=offset&at=150&size=3").get_data(
        as_text=True
    )
    assert page.index('">150</a>') < page.index('">149</a>') < page.index('">148</a>')
    assert '">147</a>' not in page
    assert f"{rating_subject}</a>" in page and ">v1<" in page
    assert "&#34;score&#34;: 150" in page
    middle = time.time() * 1000
    produce(topic, _ratings(registry_url, rating_subject, range(200, 203)))
    later = client.get(
        f"/topics/{topic}/messages?anchor=timestamp&at={int(middle)}&order=oldest&size=5"
    ).get_data(as_text=True)
    assert "the first message at or after that time is offset 200" in later
    past = client.get(f"/topics/{topic}/messages?anchor=offset&at=100000000&size=1")
    assert past.status_code == 200
    assert "offset 100000000 is past the end (the last offset is 202)" in past.get_data(
        as_text=True
    )


def test_filters_run_server_side_and_report_what_they_scanned(
    client: FlaskClient,
    make_topic: Callable[..., str],
    produce: Callable[..., None],
    registry_url: str,
    rating_subject: Subject,
) -> None:
    topic = make_topic()
    produce(topic, _ratings(registry_url, rating_subject, range(1000)))
    page = client.get(f"/topics/{topic}/messages?where=score%20%3C%2010&size=5").get_data(
        as_text=True
    )
    assert "Scanned 995 messages (offsets 999 to 5), 5 matched." in page
    bad = client.get(f"/topics/{topic}/messages?where=score%20%3C%3C%2010")
    assert bad.status_code == 400
    assert "found &#39;&lt;&#39; (at character 8)" in bad.get_data(as_text=True)


def test_bad_input_on_real_topics_is_never_a_500(
    client: FlaskClient,
    kafka_bootstrap: str,
    make_topic: Callable[..., str],
    produce: Callable[..., None],
) -> None:
    topic = make_topic(**{"max.message.bytes": "6000000"})
    produce(topic, [b"\x01" + bytes(5_000_000), bytes(range(256))])
    missing = f"{topic}.typo"
    assert client.get(f"/topics/{missing}/messages").status_code == 404
    assert client.get(f"/topics/{missing}").status_code == 404
    listed = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics
    assert missing not in listed  # looking must not create it (auto.create.topics.enable)
    assert client.get(f"/topics/{topic}/messages?partition=3").status_code == 404
    page = client.get(f"/topics/{topic}/messages").get_data(as_text=True)
    assert "wire: no magic byte: magic byte 0x01 is not 0: not Confluent-framed" in page
    assert "wire: truncated header" not in page
    big = client.get(f"/topics/{topic}/messages/0/0")
    assert big.status_code == 200
    assert "the first 65,536 of 5,000,001 bytes" in big.get_data(as_text=True)
    binary = client.get(f"/topics/{topic}/messages/0/1").get_data(as_text=True)
    assert "00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  |................|" in binary
    assert "unknown schema id 16909060" in binary  # 0x01020304
    forged = client.post("/topics", data={"csrf_token": "forged", "name": "x"})
    assert forged.status_code == 403


def test_a_logged_in_user_creates_produces_to_and_deletes_a_topic(
    client: FlaskClient, unique_name: Callable[[str], str], rating_subject: Subject
) -> None:
    token = log_in(client)
    topic = unique_name("created")
    created = client.post(
        "/topics",
        data={
            "csrf_token": token,
            "name": topic,
            "partitions": "2",
            "configs": "retention.ms=3600000",
        },
    )
    assert created.status_code == 302
    detail = client.get(f"/topics/{topic}").get_data(as_text=True)
    assert "retention.ms</td><td>3600000" in detail
    sent = client.post(
        f"/topics/{topic}/produce",
        data={
            "csrf_token": token,
            "mode": "form",
            "subject": rating_subject,
            "key": "k",
            "field.event_id": "e-1",
            "field.score": "7",
        },
    )
    assert sent.status_code == 302
    shown = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "&#34;score&#34;: 7" in shown and "&#34;comment&#34;: null" in shown
    refused = client.post(f"/topics/{topic}/delete", data={"csrf_token": token, "confirm": "no"})
    assert refused.status_code == 400
    deleted = client.post(f"/topics/{topic}/delete", data={"csrf_token": token, "confirm": topic})
    assert deleted.status_code == 302


def test_consumer_group_lag_per_partition_and_a_guarded_reset(
    client: FlaskClient,
    kafka_bootstrap: str,
    make_topic: Callable[..., str],
    produce: Callable[..., None],
    unique_name: Callable[[str], str],
) -> None:
    topic = make_topic(partitions=2)
    produce(topic, [b"a"] * 10, partition=0)
    produce(topic, [b"b"] * 4, partition=1)
    group = unique_name("group")
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group})
    consumer.commit(
        offsets=[TopicPartition(topic, 0, 3), TopicPartition(topic, 1, 4)], asynchronous=False
    )
    consumer.close()
    page = client.get(f"/groups/{group}").get_data(as_text=True)
    assert '<strong id="total-lag">7</strong>' in page
    token = log_in(client)
    form = {"csrf_token": token, "topic": topic, "to": "latest", "confirm": group}
    assert client.post(f"/groups/{group}/reset", data=form).status_code == 302
    assert '<strong id="total-lag">0</strong>' in client.get(f"/groups/{group}").get_data(
        as_text=True
    )


def test_a_pasted_schema_is_checked_by_the_registry_with_its_messages(
    client: FlaskClient, rating_subject: Subject
) -> None:
    token = csrf_of(client, f"/schemas/{rating_subject}")
    breaking = json.dumps(
        {
            "type": "record",
            "name": "Rating",
            "namespace": "console.test",
            "fields": [{"name": "score", "type": "string"}],
        }
    )
    page = client.post(
        f"/schemas/{rating_subject}/check", data={"csrf_token": token, "schema": breaking}
    ).get_data(as_text=True)
    assert "<strong>incompatible</strong>" in page
    assert "score" in page.split('id="verdict"')[1]


def test_a_live_group_shows_its_members_and_refuses_a_reset(
    client: FlaskClient,
    kafka_bootstrap: str,
    make_topic: Callable[..., str],
    produce: Callable[..., None],
    unique_name: Callable[[str], str],
) -> None:
    topic, group = make_topic(), unique_name("live")
    produce(topic, [b"x"] * 3)
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": group,
            "client.id": "console-test-member",
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(0.2)
        page = client.get(f"/groups/{group}").get_data(as_text=True)
        assert "console-test-member" in page
        assert f"{topic}[0]" in page
        token = log_in(client)
        form = {"csrf_token": token, "topic": topic, "to": "earliest", "confirm": group}
        refused = client.post(f"/groups/{group}/reset", data=form)
        assert refused.status_code == 409
    finally:
        consumer.close()
