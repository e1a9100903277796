"""`wrk`, the load generator every `ugc bench` run drives (Debian package `wrk`): running it
and reading its figures. wrk shares the machine's cores with the server it loads, so its
figures are what the box does as a whole, not the server's capacity on a dedicated host.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ugc.errors import SetupError, UgcError


@dataclass(frozen=True)
class WrkResult:
    name: str
    requests_per_s: float
    events_per_request: int
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def events_per_s(self) -> float:
        return self.requests_per_s * self.events_per_request


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def parse_wrk(name: str, output: str, events_per_request: int) -> WrkResult:
    """The figures of one wrk run with --latency."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise UgcError(f"wrk printed no Requests/sec:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return WrkResult(
        name,
        float(rate.group(1)),
        events_per_request,
        _latency(output, "50"),
        _latency(output, "99"),
        errors,
    )


def run_wrk(url: str, script: Path | None, connections: int, seconds: int) -> str:
    """wrk's output for `seconds` of load on `url` (a Lua `script` shapes the requests)."""
    if shutil.which("wrk") is None:
        raise SetupError("wrk is not installed: apt-get install wrk (it generates the load)")
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise UgcError(f"wrk failed: {done.stderr.strip()}")
    return done.stdout
