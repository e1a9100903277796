"""Access to the ClickHouse warehouse through clickhouse-connect, the one client.

`UGC_CLICKHOUSE_DSN` names it: `chdb:///abs/dir` is ClickHouse embedded in this process
(chdb), `http(s)://user:pass@host:8123/db` a real server. An embedded data directory can be
opened by one process at a time (and one process can open only one directory), so opening
one takes an exclusive lock file beside it that records the holder's role and pid; a
second process is told who holds it instead of chdb's bare "Error initializing
EmbeddedServer".
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ugc.errors import WarehouseBusyError, WarehouseError

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
        try:
            return clickhouse_connect.get_client(dsn=dsn, settings=settings or None)
        except Exception as exc:
            raise WarehouseError(f"cannot reach ClickHouse at {_redact(dsn)}: {exc}") from exc
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
    try:
        path.mkdir(parents=True, exist_ok=True)
        lock = (path.parent / f".{path.name}.owner").open("a+")
    except OSError as exc:
        raise WarehouseError(f"cannot use {path} as a warehouse: {exc.strerror}") from exc
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        lock.seek(0)
        holder = _describe_holder(lock.read())
        lock.close()
        raise WarehouseBusyError(
            f"the embedded warehouse at {path} is held by {holder}; only one process can "
            "open a chdb directory: stop that process, or point UGC_CLICKHOUSE_DSN at a "
            "ClickHouse server"
        ) from exc
    lock.seek(0)
    lock.truncate()
    lock.write(json.dumps({"role": role, "pid": os.getpid()}))
    lock.flush()
    try:
        client = clickhouse_connect.get_client(dsn=f"chdb://{path}")
    except Exception as exc:
        lock.close()
        raise WarehouseError(f"cannot open the embedded warehouse at {path}: {exc}") from exc
    _held[path] = (lock, client)
    return client


def _describe_holder(record: str) -> str:
    try:
        holder = json.loads(record)
        return f"the {holder['role']!r} process (pid {holder['pid']})"
    except (ValueError, KeyError, TypeError):
        return "another process"


def _redact(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    return dsn.replace(f":{parts.password}@", ":***@")
