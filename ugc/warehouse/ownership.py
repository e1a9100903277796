"""Who owns an embedded chdb data directory: one process at a time, named in a lock file.

chdb opens a data directory in one process only (and one process opens only one
directory). `claim` takes an exclusive `flock` on `.<dir>.owner` beside the directory and
records the holder's role and pid in it, so a second process is told who holds it instead
of chdb's bare "Error initializing EmbeddedServer". The lock lives as long as the returned
file stays open; the kernel releases it when the process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO

from ugc.errors import WarehouseBusyError, WarehouseError


def lock_file(path: Path) -> Path:
    return path.parent / f".{path.name}.owner"


def claim(path: Path, role: str) -> IO[str]:
    """Lock `path` for this process as `role`; raise WarehouseBusyError naming the holder."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        lock = lock_file(path).open("a+")
    except OSError as exc:
        raise WarehouseError(f"cannot use {path} as a warehouse: {exc.strerror}") from exc
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        lock.seek(0)
        holder = describe_holder(lock.read())
        lock.close()
        raise WarehouseBusyError(
            f"the embedded warehouse at {path} is held by {holder}; only one process can "
            "open a chdb directory: stop that process, or point UGC_CLICKHOUSE_DSN at the "
            "warehouse server (`ugc warehouse serve`, http://127.0.0.1:8123 under `ugc up`)"
        ) from exc
    lock.seek(0)
    lock.truncate()
    lock.write(json.dumps({"role": role, "pid": os.getpid()}))
    lock.flush()
    return lock


def describe_holder(record: str) -> str:
    try:
        holder = json.loads(record)
        return f"the {holder['role']!r} process (pid {holder['pid']})"
    except (ValueError, KeyError, TypeError):
        return "another process"
