from __future__ import annotations

from flask.testing import FlaskClient

from registry.client.fake import InMemoryRegistry
from services.console.decoding import MessageDecoder
from tests.unit.services.console.conftest import TOPIC, csrf_of, log_in
from tests.unit.services.console.fakes import FakeCluster


def test_the_form_is_generated_from_the_latest_schema(client: FlaskClient) -> None:
    page = client.get(f"/topics/{TOPIC}/produce").get_data(as_text=True)
    for name in ("field.event_id", "field.score", "field.comment"):
        assert f'name="{name}"' in page


def test_a_form_message_is_encoded_with_the_latest_schema_and_produced(
    client: FlaskClient, cluster: FakeCluster, registry: InMemoryRegistry
) -> None:
    log_in(client)
    token = csrf_of(client, f"/topics/{TOPIC}/produce")
    answer = client.post(
        f"/topics/{TOPIC}/produce",
        data={
            "csrf_token": token,
            "mode": "form",
            "key": "user-x",
            "field.event_id": "00000000-0000-4000-8000-0000000000ff",
            "field.score": "5",
            "field.comment": "",
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/topics/{TOPIC}/messages/0/10")
    produced = cluster.partitions[TOPIC][0][10]
    assert produced.key == b"user-x"
    decoded = MessageDecoder(registry).decode(produced.value)
    assert decoded.value == {
        "event_id": "00000000-0000-4000-8000-0000000000ff",
        "score": 5,
        "comment": None,
    }


def test_a_bad_payload_lists_every_field_at_fault(
    client: FlaskClient, cluster: FakeCluster
) -> None:
    log_in(client)
    token = csrf_of(client, f"/topics/{TOPIC}/produce")
    answer = client.post(
        f"/topics/{TOPIC}/produce",
        data={"csrf_token": token, "mode": "json", "json": '{"event_id": "nope", "score": "x"}'},
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "2 problems" in page
    assert "<code>event_id</code>" in page and "<code>score</code>" in page
    assert len(cluster.partitions[TOPIC][0]) == 10


def test_producing_to_an_unknown_topic_is_404(client: FlaskClient) -> None:
    log_in(client)
    token = csrf_of(client)
    answer = client.post(
        "/topics/nope/produce",
        data={"csrf_token": token, "mode": "json", "subject": "ugc.rating-value", "json": "{}"},
    )
    assert answer.status_code == 404
