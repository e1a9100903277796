"""A `ugc warehouse serve` subprocess for tests: started on a free port, stopped cleanly.

The server runs in its own process (as in the stack) because chdb opens one data
directory per process, and a test process may hold an embedded directory of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from ugc.process import free_port

USERS = {
    "default": {},
    "writer": {"password": "writer-secret"},
    "reader": {"password": "reader-secret", "readonly": True},
}


class WarehouseProcess:
    """`python -m ugc warehouse serve` with a data directory, users and a free port."""

    def __init__(
        self, data_dir: Path, users: Mapping[str, object] | None = None, port: int = 0
    ) -> None:
        """Port 0: a free one. A restart passes the same data directory and port."""
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "warehouse.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "UGC_WAREHOUSE_USERS": json.dumps(USERS if users is None else users),
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ugc", "warehouse", "serve", "--port", str(self.port),
                 "--data-dir", str(data_dir)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )  # fmt: skip
        self._wait_ready(60.0)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"warehouse exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=1.0).text == "Ok.\n":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"warehouse not ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


@contextlib.contextmanager
def held_insert(url: str, params: Mapping[str, str], table: str) -> Iterator[list[int]]:
    """An INSERT into `table` (id, name) whose body stays open until the block exits, so
    it holds its session and query id meanwhile; yields the list its status lands in."""
    started, release = threading.Event(), threading.Event()
    statuses: list[int] = []

    def body() -> Iterator[bytes]:
        yield b"1,first\n"
        started.set()
        release.wait(60)
        yield b"2,second\n"

    def insert() -> None:
        query = {**params, "query": f"INSERT INTO {table} FORMAT CSV"}
        statuses.append(httpx.post(url, params=query, content=body(), timeout=60).status_code)

    thread = threading.Thread(target=insert)
    thread.start()
    try:
        assert started.wait(30)
        time.sleep(0.3)  # the server has read the request line and headers by now
        yield statuses
    finally:
        release.set()
        thread.join(60)
