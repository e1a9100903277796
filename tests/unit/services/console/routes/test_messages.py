from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.unit.services.console.conftest import TOPIC
from tests.unit.services.console.fakes import FakeCluster


def test_the_page_shows_decoded_fields_with_the_writer_subject_and_version(
    client: FlaskClient,
) -> None:
    page = client.get(f"/topics/{TOPIC}/messages?size=3").get_data(as_text=True)
    assert "&#34;score&#34;: 10" in page  # the JSON's quotes are escaped too
    assert "ugc.rating-value" in page and ">v1<" in page
    assert "Showing 3." in page


def test_what_a_user_typed_or_a_message_holds_is_escaped(
    client: FlaskClient, cluster: FakeCluster
) -> None:
    cluster.produce(TOPIC, b"<script>alert(1)</script>", key=b"<img src=x onerror=alert(2)>")
    page = client.get(f"/topics/{TOPIC}/messages?size=1").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;script&gt;" not in page  # not Avro: shown as hex with the reason
    filtered = client.get(f"/topics/{TOPIC}/messages?key=<b>bold</b>").get_data(as_text=True)
    assert "<b>bold</b>" not in filtered and "&lt;b&gt;bold&lt;/b&gt;" in filtered


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("where=score%20%3E%3D", 400, "expected a number, text, true, false or null"),
        ("anchor=offset&at=abc", 400, "offset must be a whole number"),
        ("anchor=offset", 400, "offset is required"),
        (
            "anchor=timestamp&at=yesterday",
            400,
            "is neither milliseconds since the epoch nor ISO-8601",
        ),
        ("anchor=sideways", 400, "anchor must be newest, oldest, offset or timestamp"),
        ("partition=7", 404, "has no partition 7"),
        ("size=100000", 400, "size must be between 1 and 200"),
    ],
)
def test_bad_input_answers_a_precise_error_never_a_500(
    client: FlaskClient, query: str, status: int, message: str
) -> None:
    answer = client.get(f"/topics/{TOPIC}/messages?{query}")
    assert answer.status_code == status
    assert message in answer.get_data(as_text=True)


def test_an_unknown_topic_is_404(client: FlaskClient) -> None:
    answer = client.get("/topics/nope/messages")
    assert answer.status_code == 404
    assert "no topic named &#39;nope&#39;" in answer.get_data(as_text=True)


def test_an_offset_past_the_end_shows_the_newest_with_a_note(client: FlaskClient) -> None:
    answer = client.get(f"/topics/{TOPIC}/messages?anchor=offset&at=99999999&size=1")
    assert answer.status_code == 200
    assert "offset 99999999 is past the end (the last offset is 9)" in answer.get_data(as_text=True)


def test_a_filter_reports_how_many_messages_it_scanned(client: FlaskClient) -> None:
    page = client.get(f"/topics/{TOPIC}/messages?where=score%20%3C%3D%202").get_data(as_text=True)
    assert "Scanned 10 messages (offsets 9 to 0), 2 matched." in page


def test_one_message_shows_its_raw_bytes_in_hex(client: FlaskClient, cluster: FakeCluster) -> None:
    cluster.produce(TOPIC, bytes(range(20)), headers=[("trace", b"abc")])
    page = client.get(f"/topics/{TOPIC}/messages/0/10").get_data(as_text=True)
    assert "00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f" in page
    assert "wire: truncated header" not in page
    assert "no magic byte" not in page  # 0x00 is the magic byte: the id is 0x01020304
    assert "unknown schema id 16909060" in page
    assert "header trace" in page


def test_an_offset_outside_the_partition_is_a_400_for_one_message(client: FlaskClient) -> None:
    answer = client.get(f"/topics/{TOPIC}/messages/0/50")
    assert answer.status_code == 400
    assert "offset 50 is outside partition 0 (offsets 0 to 9)" in answer.get_data(as_text=True)


def test_the_live_tail_fragment_is_only_the_rows(client: FlaskClient) -> None:
    fragment = client.get(f"/topics/{TOPIC}/messages?fragment=1&size=2").get_data(as_text=True)
    assert "<html" not in fragment and 'id="messages"' in fragment
