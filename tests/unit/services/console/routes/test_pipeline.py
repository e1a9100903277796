from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask.testing import FlaskClient

from services.console.pipeline import REPLAYED_FROM
from tests.unit.services.console.conftest import TOPIC, FakeWarehouse, csrf_of, log_in
from tests.unit.services.console.fakes import FakeCluster

DLQ = "ugc-etl.dead-letters"
MSK = timezone(timedelta(hours=3))


def _letter(cluster: FakeCluster, reason: str, source_offset: int, value: bytes) -> None:
    headers = {
        "reason": reason,
        "error": f"{reason} happened",
        "source.topic": TOPIC,
        "source.partition": "0",
        "source.offset": str(source_offset),
        "failed_at": "1764662400000",
    }
    cluster.produce(
        DLQ, value, key=b"user-1", headers=[(f"ugc.{k}", v.encode()) for k, v in headers.items()]
    )


def test_no_dead_letter_topic_means_nothing_failed(client: FlaskClient) -> None:
    assert 'id="no-dead-letters"' in client.get("/pipeline").get_data(as_text=True)


def test_dead_letters_are_grouped_by_reason_and_replay_to_their_source(
    client: FlaskClient, cluster: FakeCluster
) -> None:
    cluster.add_topic(DLQ)
    original = cluster.partitions[TOPIC][0][3].value
    assert original is not None
    _letter(cluster, "unknown_schema", 3, original)
    _letter(cluster, "unknown_schema", 4, b"x")
    _letter(cluster, "mapping", 5, b"y")
    page = client.get("/pipeline").get_data(as_text=True)
    assert '<td>unknown_schema</td><td class="num">2</td>' in page
    assert '<td>mapping</td><td class="num">1</td>' in page
    log_in(client)
    token = csrf_of(client)
    answer = client.post("/pipeline/dead-letters/0/0/replay", data={"csrf_token": token})
    assert answer.status_code == 302
    replayed = cluster.partitions[TOPIC][0][-1]
    assert (replayed.key, replayed.value) == (b"user-1", original)
    assert (REPLAYED_FROM, f"{DLQ}[0]@0".encode()) in replayed.headers


def test_a_replay_needs_a_login(client: FlaskClient, cluster: FakeCluster) -> None:
    cluster.add_topic(DLQ)
    _letter(cluster, "mapping", 5, b"y")
    token = csrf_of(client)
    assert (
        client.post("/pipeline/dead-letters/0/0/replay", data={"csrf_token": token}).status_code
        == 401
    )


def test_freshness_reads_the_views_of_the_event_types(
    client: FlaskClient, warehouse: FakeWarehouse
) -> None:
    warehouse.answers = [
        (
            "FROM system.tables",
            [
                ("rating", "View"),
                ("rating_v1", "ReplacingMergeTree"),
                ("_schema_tables", "MergeTree"),
            ],
        ),
        (
            "_schema_tables",
            [
                ("rating", 1, "rating_v1", 1, 0, 0, '{"reasons": []}'),
                ("rating", 4, "rating_v2", 2, 0, 9, '{"reasons": ["score: int -> string"]}'),
            ],
        ),
        # occurred_at as a server in another zone would send it, loaded_at naive (UTC)
        ("FROM `ugc`.`rating`$", [(12, 11, datetime(2026, 12, 2, 10, 59, tzinfo=MSK))]),
        ("FROM `ugc`.`rating_v1`$", [(datetime(2026, 12, 2, 8, 1),)]),
    ]
    page = client.get("/pipeline").get_data(as_text=True)
    assert '<td>ugc.rating</td><td class="num">12</td><td class="num">11</td>' in page
    assert "<td>2026-12-02 08:01:00.000 UTC</td><td>2026-12-02 07:59:00.000 UTC</td>" in page
    assert "<td>rating_v1</td>" in page and "partition 0 offset 0" in page
    assert "partition 0 offset 9</td>\n      <td>score: int -&gt; string</td>" in page
    assert "rating_v1" in page


def test_finding_an_event_binds_what_the_user_typed_as_a_parameter(
    client: FlaskClient, warehouse: FakeWarehouse
) -> None:
    typed = "x'; DROP TABLE ugc.rating_v1; --"
    warehouse.answers = [
        ("FROM system.tables", [("rating", "View"), ("rating_v1", "ReplacingMergeTree")]),
        (
            "FROM `ugc`.`rating_v1`",
            [(TOPIC, 0, 3, 1, datetime(2026, 12, 2, 8, 0), typed, '{"score":7}')],
        ),
    ]
    page = client.get("/pipeline/find", query_string={"event_id": typed}).get_data(as_text=True)
    assert "rating_v1" in page and f"{TOPIC}[0]@3" in page
    assert "&#34;score&#34;: 7" in page
    sql, parameters = warehouse.queries[-1]
    assert typed not in sql and parameters == {"id": typed}


def test_finding_needs_an_event_id_or_an_offset(client: FlaskClient) -> None:
    answer = client.get("/pipeline/find")
    assert answer.status_code == 400
