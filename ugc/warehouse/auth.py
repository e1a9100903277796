"""Who is asking: ClickHouse's three ways of naming the user, checked against the settings.

The credentials come, in ClickHouse's order of precedence, from the `user`/`password` URL
parameters, the `X-ClickHouse-User`/`X-ClickHouse-Key` headers, or HTTP Basic auth; with
none of them the user is `default` without a password. Any mismatch is the one
AUTHENTICATION_FAILED message ClickHouse gives, which does not say whether the user exists.
A user without a password is accepted only from a loopback address.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from ugc.warehouse.exceptions import ClickHouseError, Code, raised
from ugc.warehouse.settings import WarehouseUser


@dataclass(frozen=True)
class Principal:
    name: str
    readonly: bool


def credentials(params: Mapping[str, str], headers: Mapping[str, str]) -> tuple[str, str]:
    """(user, password) as ClickHouse reads them from a request (headers in lower case)."""
    if "user" in params or "password" in params:
        return params.get("user", "default") or "default", params.get("password", "")
    if "x-clickhouse-user" in headers or "x-clickhouse-key" in headers:
        return headers.get("x-clickhouse-user") or "default", headers.get("x-clickhouse-key", "")
    authorization = headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise raised(Code.AUTHENTICATION_FAILED, "Invalid Basic authorization") from None
        user, _, password = decoded.partition(":")
        return user or "default", password
    if authorization:
        raise raised(Code.AUTHENTICATION_FAILED, "Unsupported authorization scheme")
    return "default", ""


def authenticate(
    users: Mapping[str, WarehouseUser],
    params: Mapping[str, str],
    headers: Mapping[str, str],
    remote_address: str,
) -> Principal:
    name, password = credentials(params, headers)
    user = users.get(name)
    expected = user.password.get_secret_value() if user else ""
    matches = hmac.compare_digest(expected.encode(), password.encode())
    if user is None or not matches or (not expected and not _loopback(remote_address)):
        raise _failed(name)
    return Principal(name, user.readonly)


def _failed(name: str) -> ClickHouseError:
    return raised(
        Code.AUTHENTICATION_FAILED,
        f"{name}: Authentication failed: password is incorrect, or there is no user with such name",
    )


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
