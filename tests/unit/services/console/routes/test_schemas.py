from __future__ import annotations

import json

from flask.testing import FlaskClient

from registry.client.fake import InMemoryRegistry
from registry.client.models import CompatibilityLevel
from tests.unit.services.console.conftest import RATING_V1, RATING_V2, SUBJECT, csrf_of, log_in


def test_subjects_list_their_latest_version_and_level(client: FlaskClient) -> None:
    page = client.get("/schemas").get_data(as_text=True)
    assert SUBJECT in page and "BACKWARD" in page


def test_the_diff_shows_each_field_side_by_side(
    client: FlaskClient, registry: InMemoryRegistry
) -> None:
    registry.register(SUBJECT, json.dumps(RATING_V2))
    page = client.get(f"/schemas/{SUBJECT}/diff?left=1&right=2").get_data(as_text=True)
    assert "1 field changed" in page
    assert 'added source: string (default "web")'.replace('"', "&#34;") in page


def test_a_diff_of_a_missing_version_is_404(client: FlaskClient) -> None:
    answer = client.get(f"/schemas/{SUBJECT}/diff?left=1&right=9")
    assert answer.status_code == 404


def test_setting_the_level_needs_login_then_changes_it(
    client: FlaskClient, registry: InMemoryRegistry
) -> None:
    token = csrf_of(client)
    path = f"/schemas/{SUBJECT}/level"
    assert client.post(path, data={"csrf_token": token, "level": "FULL"}).status_code == 401
    log_in(client)
    token = csrf_of(client)
    assert client.post(path, data={"csrf_token": token, "level": "FULL"}).status_code == 302
    assert registry.get_compatibility(SUBJECT) is CompatibilityLevel.FULL
    answer = client.post(path, data={"csrf_token": token, "level": "SIDEWAYS"})
    assert answer.status_code == 400


def test_checking_a_pasted_schema_shows_the_registrys_messages(client: FlaskClient) -> None:
    breaking = {**RATING_V1, "fields": [{"name": "score", "type": "string"}]}
    token = csrf_of(client, f"/schemas/{SUBJECT}")
    page = client.post(
        f"/schemas/{SUBJECT}/check", data={"csrf_token": token, "schema": json.dumps(breaking)}
    ).get_data(as_text=True)
    assert "incompatible" in page
    assert "new schema cannot read old data" in page
    answer = client.post(f"/schemas/{SUBJECT}/check", data={"csrf_token": token, "schema": "{"})
    assert answer.status_code == 400
    assert "the schema is not JSON" in answer.get_data(as_text=True)
