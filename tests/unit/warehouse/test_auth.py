"""Credentials as ClickHouse reads them, checked against the configured users."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from ugc.warehouse.auth import authenticate, credentials
from ugc.warehouse.exceptions import ClickHouseError
from ugc.warehouse.settings import WarehouseUser

USERS = {
    "default": WarehouseUser(),
    "etl": WarehouseUser(password=SecretStr("pw")),
    "ro": WarehouseUser(password=SecretStr("r"), readonly=True),
}


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    ("params", "headers", "expected"),
    [
        ({}, {}, ("default", "")),
        ({"user": "etl", "password": "pw"}, _basic("x", "y"), ("etl", "pw")),
        ({}, {"x-clickhouse-user": "etl", "x-clickhouse-key": "pw"}, ("etl", "pw")),
        ({}, _basic("etl", "p:w"), ("etl", "p:w")),
    ],
)
def test_credentials_follow_clickhouses_precedence(
    params: dict[str, str], headers: dict[str, str], expected: tuple[str, str]
) -> None:
    assert credentials(params, headers) == expected


def test_users_with_passwords_and_read_only_users_authenticate() -> None:
    assert authenticate(USERS, {"user": "etl", "password": "pw"}, {}, "10.0.0.1").readonly is False
    assert authenticate(USERS, {}, _basic("ro", "r"), "127.0.0.1").readonly is True


@pytest.mark.parametrize(
    ("params", "address"),
    [
        ({"user": "etl", "password": "nope"}, "127.0.0.1"),
        ({"user": "ghost"}, "127.0.0.1"),
        ({}, "10.1.2.3"),  # default has no password: loopback only
    ],
)
def test_failures_are_one_authentication_failed_message(
    params: dict[str, str], address: str
) -> None:
    with pytest.raises(ClickHouseError) as failed:
        authenticate(USERS, params, {}, address)
    assert (failed.value.code, failed.value.status) == (516, 403)
    assert "Authentication failed" in str(failed.value)
