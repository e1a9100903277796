"""`ugc bench api`: how fast the ingest API is next to a trivial Flask endpoint.

One run serves (a) a one-route Flask app answering `{"status": "ok"}` and (b, c) the ingest
API, each under gunicorn with the same workers and threads, and drives them with `wrk`
(Debian package `wrk`; its Lua script sends the POST bodies): (a) GET of the trivial
endpoint, (b) single-event POSTs, (c) 100-event batch POSTs. Two more runs say where the
time goes: (a2) the same POST as (b) to a trivial endpoint that only parses the JSON (the
cost of a bigger request), and (b0) the ingest API with a producer that acknowledges at
once (the API's own work without Kafka). It prints requests/s, events/s, p50/p99 latency
and the ratios. wrk runs on the same machine as the server, so the
figures are what the box does as a whole. The API needs Kafka and the registry
(UGC_KAFKA_BOOTSTRAP, UGC_REGISTRY_URL), e.g. from `ugc up`; `--register` first registers
the contracts of `schemas/`. The rate limit is turned off for the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx
from flask import Flask, request

from services.api.auth import mint_token
from services.api.producer import Delivery, OutgoingMessage
from services.api.settings import ApiSettings
from ugc.bench.wrk import WrkResult, parse_wrk, run_wrk
from ugc.errors import SetupError, UgcError
from ugc.process import free_port

_BENCH_USER = "5f0c3b4e-1d2a-4c6b-8e9f-0a1b2c3d4e5f"
_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
wrk.body = [==[%s]==]
"""


def trivial_app() -> Flask:
    """The baseline: Flask answering a constant JSON object."""
    app = Flask("trivial")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/echo")
    def echo() -> dict[str, Any]:
        # The same request shape as (b) without the work: read and parse the JSON body.
        body = request.get_json()
        return {"received": isinstance(body, dict)}

    return app


class InstantProducer:
    """An `EventProducer` that acknowledges at once without Kafka: run (b0) measures the
    API's own work (HTTP, auth, validation, encoding) apart from producing."""

    def send(self, messages: Sequence[OutgoingMessage]) -> list[Delivery]:
        return [Delivery(message.topic, 0, 0) for message in messages]

    def ping(self, timeout: float) -> None:
        pass

    def close(self) -> None:
        pass


def serve_for_bench(which: str, port: int, workers: int, threads: int, worker_class: str) -> None:
    """Entry point of the server subprocess (see `_Server`)."""
    from services.api.app import create_app
    from ugc.serving import serve

    factories: dict[str, Callable[[], Flask]] = {
        "trivial": trivial_app,
        "api": create_app,
        "api-without-kafka": lambda: create_app(producer=InstantProducer()),
    }
    serve(
        factories[which],
        host="127.0.0.1",
        port=port,
        workers=workers,
        threads=threads,
        worker_class=worker_class,
        name=which,
    )


class _Server:
    """A bench server in a subprocess, on a free port, stopped on exit."""

    def __init__(self, which: str, server: ServerSettings, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # gevent patches the standard library before anything imports it, as in
        # services.api.server.
        patch = "from gevent import monkey; monkey.patch_all(); "
        code = (
            (patch if server.worker_class == "gevent" else "")
            + ("from ugc.bench.api import serve_for_bench as s; ")
            + (
                f"s({which!r}, {self.port}, {server.workers}, {server.threads}, "
                f"{server.worker_class!r})"
            )
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + path, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise UgcError(f"the bench server did not get ready at {self.url}{path}")

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _script(directory: Path, name: str, token: str, body: Any) -> Path:
    path = directory / f"{name}.lua"
    path.write_text(_LUA % (token, json.dumps(body)), encoding="utf-8")
    return path


def _register_contracts(settings: ApiSettings) -> None:
    from contracts.loading import load_contracts

    with settings.registry_client() as registry:
        for contract in load_contracts(Path("schemas")):
            registry.register(contract.subject, contract.schema)


@dataclass(frozen=True)
class ServerSettings:
    """What every bench server runs with, the trivial one included."""

    worker_class: str
    workers: int
    threads: int

    def describe(self) -> str:
        per_worker = f"threads={self.threads}" if self.worker_class == "gthread" else "greenlets"
        return f"gunicorn {self.worker_class}, workers={self.workers}, {per_worker}"


@dataclass(frozen=True)
class _Run:
    name: str
    server: str  # which `serve_for_bench` app answers it
    path: str
    script: Path | None
    events_per_request: int


def run_bench(
    *, server: ServerSettings, connections: int, seconds: int, register: bool, rounds: int
) -> list[WrkResult]:
    """Each round runs (a), (a2), (b), (c) back to back, so a slow spell of the machine
    hits all of them; each figure is the median over the rounds."""
    if shutil.which("wrk") is None:
        raise SetupError("wrk is not installed; on Debian: apt-get install wrk")
    settings = ApiSettings()
    if register:
        _register_contracts(settings)
    token = mint_token(_BENCH_USER, settings.api_jwt_secret.get_secret_value(), ttl=3600)
    env = {"UGC_API_RATE_LIMIT": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        example = _example(settings.api_schemas_dir, "film_rating")
        single = _script(Path(tmp), "single", token, example)
        batch = [{"type": "film_rating", "event": example}] * 100
        runs = [
            _Run("(a) trivial Flask GET", "trivial", "/healthz", None, 1),
            _Run("(a2) trivial JSON POST", "trivial", "/echo", single, 1),
            _Run(
                "(b0) (b) without Kafka",
                "api-without-kafka",
                "/api/v1/events/film_rating",
                single,
                1,
            ),
            _Run("(b) single-event POST", "api", "/api/v1/events/film_rating", single, 1),
            _Run(
                "(c) 100-event batch POST",
                "api",
                "/api/v1/events",
                _script(Path(tmp), "batch", token, batch),
                100,
            ),
        ]
        with contextlib.ExitStack() as stack:
            servers = {
                which: stack.enter_context(_Server(which, server, env))
                for which in ("trivial", "api-without-kafka", "api")
            }
            for which, running in servers.items():
                running.wait_ready("/healthz" if which == "trivial" else "/readyz", timeout=60.0)
            for run in runs:  # warm-up, not measured: connections, producer id, JIT in Kafka
                run_wrk(servers[run.server].url + run.path, run.script, connections, 1)
            measured: dict[str, list[WrkResult]] = {run.name: [] for run in runs}
            for _ in range(rounds):
                for run in runs:
                    url = servers[run.server].url + run.path
                    output = run_wrk(url, run.script, connections, seconds)
                    measured[run.name].append(parse_wrk(run.name, output, run.events_per_request))
    return [_median(results) for results in measured.values()]


def _median(results: list[WrkResult]) -> WrkResult:
    first = results[0]
    return WrkResult(
        first.name,
        statistics.median(r.requests_per_s for r in results),
        first.events_per_request,
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.errors for r in results),
    )


def _example(schemas_dir: Path, event_type: str) -> dict[str, Any]:
    """The published example of an event type: a payload the API accepts as it is."""
    from contracts.loading import load_contracts

    for contract in load_contracts(schemas_dir):
        if contract.event_type == event_type:
            return dict(contract.example)
    raise UgcError(f"{schemas_dir} has no {event_type} contract")


@click.command("api")
@click.option(
    "--worker-class",
    type=click.Choice(["gevent", "gthread"]),
    help="gunicorn worker class of every server. Default: UGC_API_WORKER_CLASS (gevent).",
)
@click.option("--workers", type=click.IntRange(1, 64), help="Default: UGC_API_WORKERS (2).")
@click.option("--threads", type=click.IntRange(1, 512), help="gthread: UGC_API_THREADS (32).")
@click.option("--connections", default=64, show_default=True, help="wrk connections.")
@click.option("--seconds", default=10, show_default=True, help="Duration of each run.")
@click.option("--register", is_flag=True, help="Register the contracts of schemas/ first.")
@click.option(
    "--rounds", default=3, show_default=True, help="Rounds of all runs; medians are printed."
)
def bench_api(
    *,
    worker_class: str | None,
    workers: int | None,
    threads: int | None,
    connections: int,
    seconds: int,
    register: bool,
    rounds: int,
) -> None:
    """Benchmark the ingest API against a trivial Flask endpoint (needs wrk, Kafka, registry).

    Every server runs with the API's own server settings unless overridden here."""
    settings = ApiSettings()
    server = ServerSettings(
        worker_class or settings.api_worker_class,
        workers or settings.api_workers,
        threads or settings.api_threads,
    )
    results = run_bench(
        server=server, connections=connections, seconds=seconds, register=register, rounds=rounds
    )
    click.echo(
        f"{'run':28} {'req/s':>9} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for r in results:
        click.echo(
            f"{r.name:28} {r.requests_per_s:9.0f} {r.events_per_s:10.0f} "
            f"{r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d}"
        )
    get, post, without_kafka, single, batch = results
    click.echo(
        f"ratio b/a = {single.requests_per_s / get.requests_per_s:.2f} (target >= 0.7), "
        f"b/a2 = {single.requests_per_s / post.requests_per_s:.2f}, "
        f"b0/a = {without_kafka.requests_per_s / get.requests_per_s:.2f}, "
        f"c = {batch.events_per_s:.0f} events/s (target >= 50000)"
    )
    click.echo(f"{server.describe()}, wrk connections={connections}, median of {rounds} rounds")
