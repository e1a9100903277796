"""`ugc bench registry`: throughput and latency of the registry, measured, not asserted.

By default it starts what it measures: a Kafka broker and `ugc registry serve` (gunicorn,
the production settings) on free ports in a temporary directory, so every run compares
like with like; `--registry-url` measures a registry that already runs instead. It
prints, in one run:

- baseline: `GET /` (a trivial JSON answer through the same server) at 16 connections;
- `GET /schemas/ids/{id}` requests/s at 16 connections, and its ratio to the baseline;
- register latency p50/p99 over new schemas in distinct subjects;
- a BACKWARD_TRANSITIVE compatibility check against 100 live versions, p50/p99.

Throughput comes from `wrk` (apt-get install wrk), which shares the machine's cores with
the server: the figures are a floor, not the server's capacity on a dedicated host.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import click
import httpx

from ugc.bench.wrk import parse_wrk, run_wrk
from ugc.errors import SetupError
from ugc.kafka.broker import LocalKafka
from ugc.process import ManagedProcess, free_port

V1 = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
TARGET_LOOKUPS = 3000.0
TARGET_REGISTER_P99_MS = 50.0


def _schema(name: str, fields: int = 1) -> str:
    columns: list[dict[str, object]] = [{"name": "id", "type": "string"}]
    columns += [
        {"name": f"f{i}", "type": ["null", "long"], "default": None} for i in range(1, fields)
    ]
    return json.dumps({"type": "record", "name": name, "namespace": "bench", "fields": columns})


def _percentiles(samples_ms: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[98]


@contextlib.contextmanager
def _local_registry(workers: int) -> Iterator[str]:
    """A broker and a gunicorn-served registry of our own, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ugc-bench-") as tmp:
        broker = LocalKafka(Path(tmp) / "kafka")
        bootstrap = broker.start(free_port())
        port = free_port()
        server = ManagedProcess(
            "registry",
            Path(tmp) / "registry.pid",
            Path(tmp) / "registry.log",
            marker="ugc-component=bench-registry",
        )
        argv = [sys.executable, "-X", server.marker, "-m", "ugc", "registry", "serve"]
        argv += ["--port", str(port), "--workers", str(workers)]
        env = {**os.environ, "UGC_KAFKA_BOOTSTRAP": bootstrap}
        server.spawn(argv, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, server)
            yield url
        finally:
            server.stop()
            broker.stop()


def _wait_healthy(url: str, server: ManagedProcess, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise SetupError(f"the benchmark registry did not become healthy; see {server.log_file}")


def _register_latencies(client: httpx.Client, count: int) -> list[float]:
    samples = []
    for i in range(count):
        body = {"schema": _schema(f"R{i}_{time.time_ns()}")}
        started = time.perf_counter()
        response = client.post(
            f"/subjects/bench-register-{i}-value/versions", json=body, headers=V1
        )
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def _transitive_check(client: httpx.Client, versions: int, runs: int) -> list[float]:
    subject = f"bench-transitive-{time.time_ns()}-value"
    client.put(f"/config/{subject}", json={"compatibility": "BACKWARD_TRANSITIVE"}, headers=V1)
    for fields in range(1, versions + 1):
        client.post(
            f"/subjects/{subject}/versions", json={"schema": _schema("T", fields)}, headers=V1
        ).raise_for_status()
    candidate = {"schema": _schema("T", versions + 1)}
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.post(
            f"/compatibility/subjects/{subject}/versions", json=candidate, headers=V1
        )
        samples.append((time.perf_counter() - started) * 1000)
        assert response.json()["is_compatible"] is True
    return samples


def run(url: str, seconds: int) -> dict[str, float]:
    with httpx.Client(base_url=url, timeout=30.0) as client:
        schema_id = client.post(
            "/subjects/bench-lookup-value/versions", json={"schema": _schema("L")}, headers=V1
        ).json()["id"]
        register = _register_latencies(client, 200)
        check = _transitive_check(client, 100, 30)
    base = parse_wrk("baseline", run_wrk(f"{url}/", None, 16, seconds), 1)
    lookup = parse_wrk("lookup", run_wrk(f"{url}/schemas/ids/{schema_id}", None, 16, seconds), 1)
    register_p50, register_p99 = _percentiles(register)
    check_p50, check_p99 = _percentiles(check)
    return {
        "baseline_rps": base.requests_per_s,
        "baseline_p50_ms": base.p50_ms,
        "baseline_p99_ms": base.p99_ms,
        "lookup_rps": lookup.requests_per_s,
        "lookup_p50_ms": lookup.p50_ms,
        "lookup_p99_ms": lookup.p99_ms,
        "lookup_vs_baseline": lookup.requests_per_s / base.requests_per_s,
        "register_p50_ms": register_p50,
        "register_p99_ms": register_p99,
        "transitive_100_p50_ms": check_p50,
        "transitive_100_p99_ms": check_p99,
    }


def _report(figures: dict[str, float]) -> None:
    def verdict(ok: bool) -> str:
        return "meets target" if ok else "MISSES target"

    click.echo(
        f"baseline GET /            {figures['baseline_rps']:9.0f} req/s  "
        f"p50 {figures['baseline_p50_ms']:.2f} ms  p99 {figures['baseline_p99_ms']:.2f} ms"
    )
    click.echo(
        f"GET /schemas/ids/{{id}}    {figures['lookup_rps']:9.0f} req/s  "
        f"p50 {figures['lookup_p50_ms']:.2f} ms  p99 {figures['lookup_p99_ms']:.2f} ms  "
        f"= {figures['lookup_vs_baseline']:.2f} x baseline  "
        f"({verdict(figures['lookup_rps'] >= TARGET_LOOKUPS)}: >= {TARGET_LOOKUPS:.0f})"
    )
    click.echo(
        f"register (new schema)     p50 {figures['register_p50_ms']:.2f} ms  "
        f"p99 {figures['register_p99_ms']:.2f} ms  "
        f"({verdict(figures['register_p99_ms'] < TARGET_REGISTER_P99_MS)}: "
        f"p99 < {TARGET_REGISTER_P99_MS:.0f} ms)"
    )
    click.echo(
        f"transitive check, 100 v.  p50 {figures['transitive_100_p50_ms']:.2f} ms  "
        f"p99 {figures['transitive_100_p99_ms']:.2f} ms"
    )


@click.command("registry")
@click.option("--registry-url", help="Measure this running registry instead of starting one.")
@click.option(
    "--seconds",
    type=click.IntRange(1, 600),
    default=10,
    show_default=True,
    help="Duration of each throughput run.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="gunicorn workers of the registry this command starts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_registry(registry_url: str | None, seconds: int, workers: int, as_json: bool) -> None:
    """Measure id lookups/s, register p50/p99 and a 100-version transitive check.

    Example: ugc bench registry --seconds 10
    """
    with contextlib.ExitStack() as stack:
        url = registry_url or stack.enter_context(_local_registry(workers))
        figures = run(url, seconds)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
    else:
        _report(figures)
