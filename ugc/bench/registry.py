"""`ugc bench registry`: throughput and latency of the registry, measured, not asserted.

By default it starts what it measures: a Kafka broker and `ugc registry serve` (gunicorn,
the production settings) on free ports in a temporary directory, so every run compares
like with like; `--registry-url` measures a registry that already runs instead. It
prints, in one run:

- baseline: `GET /` (a trivial JSON answer through the same server) at 16 connections;
- `GET /schemas/ids/{id}` requests/s at 16 connections, and its ratio to the baseline
  (three runs of each, taking turns; the median run of each is reported);
- register latency p50/p99 over new schemas in distinct subjects, on one kept-alive
  connection and with a new connection per request (as most clients and CI scripts do);
- contention: `--instances` registries (each `--workers` gunicorn workers) on one topic,
  16 concurrent writers spread over them registering 800 distinct schemas over 8
  subjects (every write goes through the one elected leader). Flat out with 16, 4 and 8
  writers: the capacity, and how latency at saturation grows with the writers. Then
  offered at the target rate plus a tenth (165/s, each latency counted from the moment
  its registration was due): registrations/s and p50/p99 at that load, which the target
  judges;
- a BACKWARD_TRANSITIVE compatibility check against 100 live versions, p50/p99.

Throughput comes from `wrk` (apt-get install wrk), which shares the machine's cores with
the server: the figures are a floor, not the server's capacity on a dedicated host.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import click
import httpx

from ugc.bench.wrk import WrkResult, parse_wrk, run_wrk
from ugc.errors import SetupError
from ugc.kafka.broker import LocalKafka
from ugc.process import ManagedProcess, free_port

V1 = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
TARGET_LOOKUPS = 3000.0
TARGET_LOOKUP_RATIO = 0.8
TARGET_REGISTER_P99_MS = 50.0
TARGET_CONTENTION_RPS = 150.0
TARGET_CONTENTION_P99_MS = 100.0
CONTENTION_WRITERS = 16
# The paced contention run offers the target rate plus a tenth: the target judges the
# latency at that load, not at saturation (where latency is set by the writer count).
PACED_RATE = TARGET_CONTENTION_RPS * 1.1
LOAD_ROUNDS = 3  # baseline and lookup runs, taking turns; each reports its median run
SWEEP_WRITERS = (4, 8)  # the same contention run with fewer writers, for the curve
CONTENTION_SCHEMAS = 800
CONTENTION_SUBJECTS = 8


def _schema(name: str, fields: int = 1, *, extra: str | None = None) -> str:
    columns: list[dict[str, object]] = [{"name": "id", "type": "string"}]
    names = [f"f{i}" for i in range(1, fields)] if extra is None else [extra]
    columns += [{"name": field, "type": ["null", "long"], "default": None} for field in names]
    return json.dumps({"type": "record", "name": name, "namespace": "bench", "fields": columns})


def _percentiles(samples_ms: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[98]


@contextlib.contextmanager
def _local_registries(instances: int, workers: int) -> Iterator[list[str]]:
    """A broker and gunicorn-served registries of our own on one topic, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ugc-bench-") as tmp, contextlib.ExitStack() as stack:
        broker = LocalKafka(Path(tmp) / "kafka")
        bootstrap = broker.start(free_port())
        stack.callback(broker.stop)
        urls = []
        for number in range(instances):
            server = ManagedProcess(
                f"registry-{number}",
                Path(tmp) / f"registry-{number}.pid",
                Path(tmp) / f"registry-{number}.log",
                marker=f"ugc-component=bench-registry-{number}",
            )
            port = free_port()
            argv = [sys.executable, "-X", server.marker, "-m", "ugc", "registry", "serve"]
            argv += ["--port", str(port), "--workers", str(workers)]
            server.spawn(argv, env={**os.environ, "UGC_KAFKA_BOOTSTRAP": bootstrap})
            stack.callback(server.stop)
            urls.append(f"http://127.0.0.1:{port}")
            _wait_healthy(urls[-1], server)
        yield urls


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
    run = time.time_ns()  # fresh subjects: a second run against one registry must not conflict
    for i in range(count):
        body = {"schema": _schema(f"R{i}_{time.time_ns()}")}
        started = time.perf_counter()
        response = client.post(
            f"/subjects/bench-register-{run}-{i}-value/versions", json=body, headers=V1
        )
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)


def _register(connection: http.client.HTTPConnection, subject: str, body: str) -> str | None:
    """Register on `connection`; None when answered 200, else the answer's status and start."""
    connection.request("POST", f"/subjects/{subject}/versions", body, V1)
    response = connection.getresponse()
    answer = response.read()
    return None if response.status == 200 else f"HTTP {response.status} {answer[:200]!r}"


def _register_new_connections(url: str, count: int) -> list[float]:
    """Register latencies when every request opens its own TCP connection. http.client,
    because building an httpx client per request costs more than the request itself
    (its TLS context), which would measure the client, not the registry."""
    samples = []
    run = time.time_ns()
    for i in range(count):
        body = json.dumps({"schema": _schema(f"N{i}_{time.time_ns()}")})
        started = time.perf_counter()
        connection = _connection(url, 30)
        try:
            failure = _register(connection, f"bench-fresh-{run}-{i}-value", body)
        finally:
            connection.close()
        samples.append((time.perf_counter() - started) * 1000)
        if failure is not None:
            raise SetupError(f"registration failed: {failure}")
    return samples


def _contention(
    urls: list[str], writers: int, rate: float | None = None
) -> tuple[float, list[float]]:
    """(registrations/s, latencies ms) of `writers` concurrent writers spread over the
    instances, registering CONTENTION_SCHEMAS distinct schemas over CONTENTION_SUBJECTS.

    Without a rate the loop is closed: each writer sends its next registration as soon as
    the last is answered, which measures capacity and the latency at saturation. With a
    rate the load is offered: registration i is due `i / rate` seconds after the start, and
    its latency counts from that moment, so a registration that waited for a free writer
    is charged for the wait (no coordinated omission).

    Each writer keeps one connection alive through http.client: an httpx client costs the
    bench about 3 ms of CPU per request, and on two cores that CPU is taken from the
    registries being measured."""
    prefix = f"bench-contention-{writers}-{rate or 0:.0f}-{time.time_ns()}"
    samples: list[float] = []
    failures: list[str] = []
    taken = itertools.count()
    lock = threading.Lock()
    start = time.perf_counter() + 0.05  # every thread started before the first is due

    def writer(number: int) -> None:
        connection = _connection(urls[number % len(urls)], 60)
        try:
            while True:
                with lock:
                    i = next(taken)
                if i >= CONTENTION_SCHEMAS:
                    return
                subject = f"{prefix}-{i % CONTENTION_SUBJECTS}-value"
                body = json.dumps(
                    {"schema": _schema(f"C{i % CONTENTION_SUBJECTS}", 2, extra=f"x{i}")}
                )
                # Closed loop: due now, but not before the common start (the rate's clock).
                due = max(start, time.perf_counter()) if rate is None else start + i / rate
                time.sleep(max(0.0, due - time.perf_counter()))
                failure = _register(connection, subject, body)
                samples.append((time.perf_counter() - due) * 1000)
                if failure is not None:
                    failures.append(failure)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SetupError(f"{len(failures)} registrations failed, e.g. {failures[0]}")
    return CONTENTION_SCHEMAS / elapsed, samples


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


def _alternating(targets: dict[str, str], seconds: int) -> dict[str, WrkResult]:
    """Each target's median run (by requests/s) out of `LOAD_ROUNDS`, the targets taking
    turns: a single run swings by ±15% here (how wrk's 16 connections fall on the two
    workers, what else the host runs), so a ratio of two single runs is mostly noise."""
    runs: dict[str, list[WrkResult]] = {name: [] for name in targets}
    for _ in range(LOAD_ROUNDS):
        for name, target in targets.items():
            runs[name].append(parse_wrk(name, run_wrk(target, None, 16, seconds), 1))
    return {
        name: sorted(results, key=lambda r: r.requests_per_s)[len(results) // 2]
        for name, results in runs.items()
    }


def run(urls: list[str], seconds: int) -> dict[str, float]:
    url = urls[0]
    with httpx.Client(base_url=url, timeout=30.0) as client:
        schema_id = client.post(
            "/subjects/bench-lookup-value/versions", json={"schema": _schema("L")}, headers=V1
        ).json()["id"]
        register = _register_latencies(client, 200)
        fresh = _register_new_connections(url, 200)
        check = _transitive_check(client, 100, 30)
    contention = {
        f"{n}_writers": _contention(urls, n) for n in (CONTENTION_WRITERS, *SWEEP_WRITERS)
    }
    contention["paced"] = _contention(urls, CONTENTION_WRITERS, PACED_RATE)  # warm: runs last
    medians = _alternating(
        {"baseline": f"{url}/", "lookup": f"{url}/schemas/ids/{schema_id}"}, seconds
    )
    base, lookup = medians["baseline"], medians["lookup"]
    register_p50, register_p99 = _percentiles(register)
    fresh_p50, fresh_p99 = _percentiles(fresh)
    check_p50, check_p99 = _percentiles(check)
    figures = {
        "instances": float(len(urls)),
        "register_new_connection_p50_ms": fresh_p50,
        "register_new_connection_p99_ms": fresh_p99,
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
    figures["contention_paced_offered_rps"] = PACED_RATE
    for name, (rate, latencies) in contention.items():
        p50, p99 = _percentiles(latencies)
        figures |= {
            f"contention_{name}_rps": rate,
            f"contention_{name}_p50_ms": p50,
            f"contention_{name}_p99_ms": p99,
        }
    return figures


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
        f"({verdict(figures['lookup_rps'] >= TARGET_LOOKUPS)}: >= {TARGET_LOOKUPS:.0f}; "
        f"{verdict(figures['lookup_vs_baseline'] >= TARGET_LOOKUP_RATIO)}: "
        f">= {TARGET_LOOKUP_RATIO} x baseline)"
    )
    click.echo(
        f"register (new schema)     p50 {figures['register_p50_ms']:.2f} ms  "
        f"p99 {figures['register_p99_ms']:.2f} ms  "
        f"({verdict(figures['register_p99_ms'] < TARGET_REGISTER_P99_MS)}: "
        f"p99 < {TARGET_REGISTER_P99_MS:.0f} ms)"
    )
    fresh_p99 = figures["register_new_connection_p99_ms"]
    click.echo(
        f"register, new connection  p50 {figures['register_new_connection_p50_ms']:.2f} ms  "
        f"p99 {fresh_p99:.2f} ms  "
        f"({verdict(fresh_p99 < TARGET_REGISTER_P99_MS)}: p99 < {TARGET_REGISTER_P99_MS:.0f} ms)"
    )

    def contention(name: str, label: str) -> tuple[str, float, float]:
        """The start of one contention run's line, and the run's rate and p99."""
        rate, p50, p99 = (figures[f"contention_{name}_{f}"] for f in ("rps", "p50_ms", "p99_ms"))
        text = (
            f"contention {figures['instances']:.0f} instance(s), {label}, "
            f"{CONTENTION_SCHEMAS} schemas  {rate:6.0f} registrations/s  "
            f"p50 {p50:.2f} ms  p99 {p99:.2f} ms"
        )
        return text, rate, p99

    text, rate, p99 = contention(
        "paced", f"{CONTENTION_WRITERS} writers offered {PACED_RATE:.0f}/s"
    )
    ok = rate >= TARGET_CONTENTION_RPS and p99 < TARGET_CONTENTION_P99_MS
    click.echo(
        f"{text}  ({verdict(ok)}: >= {TARGET_CONTENTION_RPS:.0f}/s, "
        f"p99 < {TARGET_CONTENTION_P99_MS:.0f} ms)"
    )
    for writers in (CONTENTION_WRITERS, *SWEEP_WRITERS):
        text, _, p99 = contention(f"{writers}_writers", f"{writers:2d} writers flat out")
        # Flat out, latency follows the writer count (Little's law): shown, not judged.
        under = "under" if p99 < TARGET_CONTENTION_P99_MS else "over"
        click.echo(f"{text}  (capacity; p99 {under} {TARGET_CONTENTION_P99_MS:.0f} ms)")
    click.echo(
        f"transitive check, 100 v.  p50 {figures['transitive_100_p50_ms']:.2f} ms  "
        f"p99 {figures['transitive_100_p99_ms']:.2f} ms"
    )


@click.command("registry")
@click.option(
    "--registry-url",
    multiple=True,
    help="Measure these running registries (repeat for instances on one topic) instead.",
)
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
@click.option(
    "--instances",
    type=click.IntRange(1, 8),
    default=2,
    show_default=True,
    help="Registries this command starts on one topic (the contention run spreads over them).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_registry(
    registry_url: tuple[str, ...], seconds: int, workers: int, instances: int, as_json: bool
) -> None:
    """Measure id lookups/s, register p50/p99 (kept-alive and new connections), concurrent
    writers over several instances, and a 100-version transitive check.

    Example: ugc bench registry --seconds 10
    """
    with contextlib.ExitStack() as stack:
        urls = list(registry_url) or stack.enter_context(_local_registries(instances, workers))
        figures = run(urls, seconds)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
    else:
        _report(figures)
