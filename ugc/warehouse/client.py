"""Access to the ClickHouse warehouse through clickhouse-connect, the one client.

`UGC_CLICKHOUSE_DSN` names it: `http(s)://user:pass@host:8123/db` a ClickHouse server (in
the local stack, `ugc warehouse serve` on http://127.0.0.1:8123), `chdb:///abs/dir`
ClickHouse embedded in this process (chdb), for tests, benchmarks and one-off scripts. An
embedded directory is claimed for this process (see `ownership`), so a second process is
told who holds it.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ugc.errors import WarehouseError
from ugc.warehouse import ownership

_held: dict[Path, tuple[IO[str], Client]] = {}


def default_dsn(data_dir: Path) -> str:
    return f"chdb://{(data_dir / 'clickhouse').expanduser().resolve()}"


def embedded_path(dsn: str) -> Path | None:
    """The data directory of a `chdb://` DSN, or None for a server DSN."""
    parts = urlsplit(dsn)
    if parts.scheme != "chdb":
        return None
    if parts.netloc:
        raise WarehouseError(
            f"embedded DSN {dsn!r} is not absolute: write chdb:///abs/dir (three slashes); "
            f"clickhouse-connect would read {parts.netloc!r} as a host"
        )
    if not parts.path or parts.path == "/":
        raise WarehouseError(f"embedded DSN {dsn!r} names no data directory")
    return Path(parts.path)


def connect(dsn: str, *, role: str, **settings: Any) -> Client:
    """A clickhouse-connect client for `dsn`; `role` names this process in lock records."""
    path = embedded_path(dsn)
    if path is None:
        # Compression on loopback only spends CPU; `?compress=true` in the DSN still wins.
        options: dict[str, Any] = {"compress": False} if _loopback(urlsplit(dsn).hostname) else {}
        try:
            return clickhouse_connect.get_client(dsn=dsn, settings=settings or None, **options)
        except Exception as exc:
            raise WarehouseError(f"cannot reach ClickHouse at {redact(dsn)}: {exc}") from exc
    return _connect_embedded(path, role)


def _connect_embedded(path: Path, role: str) -> Client:
    if path in _held:
        return _held[path][1]
    if _held:
        other = next(iter(_held))
        raise WarehouseError(
            f"this process already opened the embedded warehouse at {other}; chdb opens one "
            f"data directory per process, so {path} cannot be opened too"
        )
    lock = ownership.claim(path, role)
    try:
        client = clickhouse_connect.get_client(dsn=f"chdb://{path}")
    except Exception as exc:
        lock.close()
        raise WarehouseError(f"cannot open the embedded warehouse at {path}: {exc}") from exc
    if not _held:
        atexit.register(release_all)
    _held[path] = (lock, client)
    return client


def release_all() -> None:
    """Close the embedded warehouse this process opened, and give up its directory."""
    for path in list(_held):
        lock, client = _held.pop(path)
        with contextlib.suppress(Exception):
            client.close()
        lock.close()


def _loopback(host: str | None) -> bool:
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    return dsn.replace(f":{parts.password}@", ":***@")
