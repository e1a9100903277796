"""The services schemathesis runs against, started as they are deployed (`ugc api serve`,
`ugc registry serve`) on the session's real Kafka broker, and `run_schemathesis`, which runs
the schemathesis command with `schemathesis.toml` and reads back its reports. Each run's
figures (operations, generated cases, requests by status) are printed in pytest's summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ugc.process import free_port

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
_FIGURES: list[str] = []


@dataclass(frozen=True)
class FuzzRun:
    """What one schemathesis run did, from its JSON and HAR reports."""

    target: str
    exit_code: int
    output: str
    operations: dict[str, Any]
    test_cases: dict[str, Any]
    failures: list[dict[str, Any]]
    errors: list[Any]
    statuses: Counter[int]

    @property
    def server_errors(self) -> dict[int, int]:
        return {status: n for status, n in self.statuses.items() if status >= 500}

    def figures(self) -> str:
        by_status = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.target}: {self.operations['tested']}/{self.operations['total']} operations, "
            f"{self.test_cases['generated']} generated cases, "
            f"{sum(self.statuses.values())} requests ({by_status}), "
            f"{self.test_cases['with_failures']} with failures"
        )


def run_schemathesis(target: str, document: str, reports: Path, *options: str) -> FuzzRun:
    """`schemathesis run` on `document` with every check and the settings file."""
    argv = [str(SCHEMATHESIS), "--config-file", str(CONFIG), "--no-color", "run", document]
    argv += ["--checks", "all", "--report", "json,har", "--report-dir", str(reports), *options]
    # schemathesis keeps a crash cache in its working directory: the test's, not the checkout.
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=280, check=False, cwd=reports.parent
    )
    [report_file] = reports.glob("json-*.json")
    [har_file] = reports.glob("har-*.json")
    report = json.loads(report_file.read_text())
    entries = json.loads(har_file.read_text())["log"]["entries"]
    run = FuzzRun(
        target=target,
        exit_code=done.returncode,
        output=done.stdout + done.stderr,
        operations=report["operations"],
        test_cases=report["test_cases"],
        failures=report["failures"],
        errors=report["errors"],
        statuses=Counter(int(entry["response"]["status"]) for entry in entries),
    )
    _FIGURES.append(run.figures())
    return run


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("schemathesis")
        for line in _FIGURES:
            terminalreporter.write_line(line)


class Served:
    """One `ugc <service> serve` subprocess on a free port, stopped by `stop`."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        command = [sys.executable, "-m", "ugc", *argv, "--port", str(self.port), "--workers", "1"]
        self.process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=self._log, stderr=self._log
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        self.stop()
        raise AssertionError(f"{' '.join(argv)} did not start: {log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._log.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[list[str], dict[str, str]], Served]]:
    """Start `ugc …serve` subprocesses; all are stopped after the test."""
    started: list[Served] = []

    def start(argv: list[str], env: dict[str, str]) -> Served:
        started.append(Served(argv, env, tmp_path / f"{argv[0]}-{len(started)}.log"))
        return started[-1]

    yield start
    for served in started:
        served.stop()
