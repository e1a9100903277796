"""The ETL for tests: in this process (`RunningEtl`, started by the `run_etl` fixture of
tests/integration/conftest.py) or as the `ugc etl run` command (`EtlCommand`), plus the
poll-until helper the tests wait with and a row counter that tolerates a missing table."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from clickhouse_connect.driver.client import Client

from etl.runner import EtlProcess
from etl.settings import EtlSettings


@dataclass
class RunningEtl:
    """An ETL loop run in a thread of this process (the code `ugc etl run` runs)."""

    settings: EtlSettings
    process: EtlProcess
    thread: threading.Thread
    errors: list[BaseException]

    def stop(self) -> None:
        self.process.loop.stop()
        self.thread.join(30)
        self.process.close()

    def died(self) -> str | None:
        return f"the ETL died: {self.errors[0]!r}" if self.errors else None


class EtlCommand:
    """One `ugc etl run` process configured by `env`; SIGKILL and start again at will."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.env, self.log = dict(env), log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ugc", "etl", "run", "--port", "0"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> int | None:
        """SIGTERM: the ETL finishes or abandons its batch and exits cleanly."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)
        return None if self.process is None else self.process.returncode

    def died(self) -> str | None:
        if self.process is None or self.process.poll() is None:
            return None
        tail = self.log.read_text(errors="replace")[-3000:]
        return f"`ugc etl run` exited with {self.process.returncode}:\n{tail}"


class Watched(Protocol):
    """Something a wait gives up on early: `died()` says why it can no longer succeed."""

    def died(self) -> str | None: ...


def wait_for(
    probe: Callable[[], Any], expected: Any, *, timeout: float = 60.0, etl: Watched | None = None
) -> Any:
    """Poll `probe()` until it returns `expected`; fail with the last value seen, or at once
    when `etl` died."""
    deadline = time.monotonic() + timeout
    value = probe()
    while value != expected:
        death = etl.died() if etl is not None else None
        if death is not None:
            raise AssertionError(death)
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f}s: last {value!r}, wanted {expected!r}")
        time.sleep(0.2)
        value = probe()
    return value


def count_rows(client: Client, table: str) -> int:
    """Rows in `table` (a view reads deduplicated); 0 while it does not exist yet."""
    database, name = table.split(".", 1)
    exists = client.command(
        "SELECT count() FROM system.tables WHERE database = {d:String} AND name = {n:String}",
        parameters={"d": database, "n": name},
    )
    return int(client.command(f"SELECT count() FROM {table}")) if int(exists) else 0


def metric_total(etl: RunningEtl, name: str) -> float:
    """The sum of a metric's samples named `name` across its labels, in the ETL's registry."""
    return sum(
        sample.value
        for family in etl.process.metrics.registry.collect()
        for sample in family.samples
        if sample.name == name
    )
