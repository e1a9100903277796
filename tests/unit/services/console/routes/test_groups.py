from __future__ import annotations

from flask.testing import FlaskClient

from tests.unit.services.console.conftest import TOPIC, csrf_of, log_in
from tests.unit.services.console.fakes import FakeCluster


def test_groups_show_their_lag_per_partition(client: FlaskClient, cluster: FakeCluster) -> None:
    cluster.committed["etl"] = {(TOPIC, 0): 4}
    assert ">6<" in client.get("/groups").get_data(as_text=True)
    page = client.get("/groups/etl").get_data(as_text=True)
    assert '<strong id="total-lag">6</strong>' in page


def test_a_reset_needs_the_group_name_typed_and_moves_the_offsets(
    client: FlaskClient, cluster: FakeCluster
) -> None:
    cluster.committed["etl"] = {(TOPIC, 0): 4}
    log_in(client)
    token = csrf_of(client)
    form = {"csrf_token": token, "topic": TOPIC, "to": "earliest"}
    assert client.post("/groups/etl/reset", data=form).status_code == 400
    assert client.post("/groups/etl/reset", data={**form, "confirm": "etl"}).status_code == 302
    assert cluster.committed["etl"] == {(TOPIC, 0): 0}


def test_an_unknown_group_is_404(client: FlaskClient) -> None:
    assert client.get("/groups/nope").status_code == 404
