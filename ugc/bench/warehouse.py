"""`ugc bench warehouse`: the warehouse server against chdb in process, in one run.

It starts what it measures in a temporary directory: a registry (the real app over its
in-memory store, for AvroConfluent's schema lookups), chdb in this process, and
`ugc warehouse serve` as a subprocess, then measures, each the median of `--repeat` runs:

- (a) N Confluent-framed Avro rows inserted in process through chdb's `send_insert`
  (1 MiB appends; the fastest in-process path), (b) the same bytes POSTed to the server
  (`INSERT … FORMAT AvroConfluent` and the registry setting in the URL, one request with a
  Content-Length), target b/a ≥ 0.8; for reference, clickhouse-connect's `raw_insert` of
  the bytes from a generator (statement in the URL, body streamed) and as bytes (it
  prepends the statement, copying the body, and decodes the whole body to decide whether
  the request may be retried);
- (c) an N-row `SELECT` read by clickhouse-connect's `query()` in process (its chdb
  backend), (d) the same through the server over HTTP, target d/c ≥ 0.7; plus the
  streaming read (`query_column_block_stream`) through the server, for reference;
- the server's peak RSS (VmHWM) at the end.

The client, the server and chdb's threads share the machine's cores; figures are for this
machine, not a claim about ClickHouse.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import click
import fastavro
import httpx
from clickhouse_connect.driver.client import Client
from werkzeug.serving import make_server

from registry.client.models import SchemaId
from registry.client.wire import frame
from registry.server.app import create_app
from registry.server.settings import RegistrySettings
from registry.server.store import MemoryStore
from ugc.errors import SetupError
from ugc.process import free_port
from ugc.warehouse.client import connect

SCHEMA = {
    "type": "record",
    "name": "FilmRating",
    "namespace": "bench",
    "fields": [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "user_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "film_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "rating", "type": "int"},
        {"name": "platform", "type": "string"},
        {"name": "session_seconds", "type": "double"},
    ],
}
TABLE = (
    "CREATE TABLE {name} (event_id UUID, user_id UUID, occurred_at DateTime64(3, 'UTC'), "
    "film_id UUID, rating Int32, platform String, session_seconds Float64) "
    "ENGINE = MergeTree ORDER BY (user_id, occurred_at)"
)
PIECE = 1 << 20


def framed_rows(schema_id: int, count: int, distinct: int = 20_000) -> bytes:
    """`count` framed rows: `distinct` encoded rows, repeated (decoding cost is the same)."""
    parsed = fastavro.parse_schema(SCHEMA)
    framed = []
    for i in range(min(distinct, count)):
        buffer = io.BytesIO()
        record = {
            "event_id": str(uuid.uuid4()),
            "user_id": str(uuid.UUID(int=i % 5000)),
            "occurred_at": 1_767_225_600_000 + i * 1000,
            "film_id": str(uuid.UUID(int=10**6 + i % 700)),
            "rating": i % 10 + 1,
            "platform": ("web", "ios", "android", "tv")[i % 4],
            "session_seconds": i * 0.5,
        }
        fastavro.schemaless_writer(buffer, parsed, record)
        framed.append(frame(SchemaId(schema_id), buffer.getvalue()))
    whole, rest = divmod(count, len(framed))
    return b"".join(framed) * whole + b"".join(framed[:rest])


@contextlib.contextmanager
def registry() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per schema lookup
    app = create_app(RegistrySettings(), store=MemoryStore())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextlib.contextmanager
def warehouse_server(data_dir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "warehouse.log").open("ab")
    argv = [sys.executable, "-m", "ugc", "warehouse", "serve", "--port", str(port)]
    process = subprocess.Popen([*argv, "--data-dir", str(data_dir)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SetupError(f"the warehouse server did not start; see {log.name}")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


Case = tuple[Callable[[], Any], Callable[[Any], object]]


def interleaved(repeat: int, cases: dict[str, Case]) -> dict[str, float]:
    """Median seconds of each case's `run(prepare())`; every round runs every case once, in
    turn, so a load that comes and goes on the shared machine hits them alike."""
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, (prepare, run) in cases.items():
            state = prepare()
            started = time.perf_counter()
            run(state)
            seconds[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in seconds.items()}


def _insert_in_process(conn: Any, data: bytes, table: str, registry_url: str) -> None:
    conn.query(f"SET format_avro_schema_registry_url = '{registry_url}'")
    inserter = conn.send_insert(f"INSERT INTO {table}", "AvroConfluent")
    view = memoryview(data)
    for start in range(0, len(view), PIECE):
        inserter.append(view[start : start + PIECE])
    inserter.finish()


def _fresh_table(run: Callable[[str], object], name: str) -> str:
    table = f"bench.{name}_{uuid.uuid4().hex[:8]}"
    run(TABLE.format(name=table))
    return table


def _drain(client: Client, sql: str) -> int:
    with client.query_column_block_stream(sql) as blocks:
        return sum(len(block[0]) for block in blocks)


def _post(url: str, table: str, data: bytes, registry_url: str) -> None:
    """One plain HTTP POST of `data` (statement and settings in the URL), as curl sends it."""
    parts = urlsplit(url)
    query = urlencode(
        {
            "query": f"INSERT INTO {table} FORMAT AvroConfluent",
            "format_avro_schema_registry_url": registry_url,
        }
    )
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    try:
        conn.request("POST", f"/?{query}", body=data)
        answer = conn.getresponse()
        body = answer.read()
    finally:
        conn.close()
    if answer.status != 200:
        raise SetupError(f"insert through the server failed: {body.decode(errors='replace')}")


def _inserts(
    local: Client, remote: Client, raw: Any, *, url: str, data: bytes, registry_url: str
) -> dict[str, Case]:
    avro = {"format_avro_schema_registry_url": registry_url}
    return {
        "a_insert_in_process_s": (
            lambda: _fresh_table(local.command, "a"),
            lambda table: _insert_in_process(raw, data, table, registry_url),
        ),
        "b_insert_through_server_s": (
            lambda: _fresh_table(remote.command, "b"),
            lambda table: _post(url, table, data, registry_url),
        ),
        "b_raw_insert_iterable_s": (
            lambda: _fresh_table(remote.command, "b"),
            lambda table: remote.raw_insert(
                table, insert_block=_once(data), fmt="AvroConfluent", settings=avro
            ),
        ),
        "b_raw_insert_bytes_s": (
            lambda: _fresh_table(remote.command, "b"),
            lambda table: remote.raw_insert(
                table, insert_block=data, fmt="AvroConfluent", settings=avro
            ),
        ),
    }


def _once(data: bytes) -> Generator[bytes, None, None]:
    yield data


def _selects(local: Client, remote: Client, local_table: str, remote_table: str) -> dict[str, Case]:
    read = "SELECT * FROM {table}"
    return {
        "c_select_in_process_s": (
            lambda: read.format(table=local_table),
            lambda sql: local.query(sql).result_columns,
        ),
        "d_select_through_server_s": (
            lambda: read.format(table=remote_table),
            lambda sql: remote.query(sql).result_columns,
        ),
        "d_stream_through_server_s": (
            lambda: read.format(table=remote_table),
            lambda sql: _drain(remote, sql),
        ),
    }


def measure(rows: int, repeat: int, work: Path) -> dict[str, float]:
    with registry() as registry_url, warehouse_server(work / "server") as (url, pid):
        schema_id = httpx.post(
            f"{registry_url}/subjects/bench-value/versions", json={"schema": json.dumps(SCHEMA)}
        ).json()["id"]
        data = framed_rows(schema_id, rows)
        local = connect(f"chdb://{work / 'inprocess' / 'clickhouse'}", role="bench")
        # Imported here: chdb (with pyarrow and numpy) costs every `ugc` process ~250 MB of
        # RSS, the ETL's included, when the command group imports it at start.
        from chdb.state.sqlitelike import Connection

        raw = Connection(str(work / "inprocess" / "clickhouse"))
        remote: Client = connect(url, role="bench")
        for client in (local, remote):
            client.command("CREATE DATABASE IF NOT EXISTS bench")
        figures: dict[str, float] = {"rows": rows, "bytes": len(data), "load_before": _load()}
        figures |= interleaved(
            repeat, _inserts(local, remote, raw, url=url, data=data, registry_url=registry_url)
        )
        local_table = _fresh_table(local.command, "c")
        remote_table = _fresh_table(remote.command, "d")
        _insert_in_process(raw, data, local_table, registry_url)
        _post(url, remote_table, data, registry_url)
        figures |= interleaved(repeat, _selects(local, remote, local_table, remote_table))
        figures["server_peak_rss_mib"] = peak_rss_mib(pid)
        figures["load_after"] = _load()
        raw.close()
        remote.close()
        return figures


def _load() -> float:
    return os.getloadavg()[0]


def report(figures: dict[str, float]) -> list[str]:
    rows = figures["rows"]

    def rate(key: str) -> str:
        return f"{rows / figures[key]:>12,.0f} rows/s  ({figures[key]:.3f} s)"

    b_a = figures["a_insert_in_process_s"] / figures["b_insert_through_server_s"]
    d_c = figures["c_select_in_process_s"] / figures["d_select_through_server_s"]
    return [
        f"rows: {rows:,.0f} Confluent-framed Avro rows, {figures['bytes'] / 2**20:.1f} MiB; "
        f"1-min load average {figures['load_before']:.1f} before, "
        f"{figures['load_after']:.1f} after",
        f"(a) insert, chdb in process (send_insert)      {rate('a_insert_in_process_s')}",
        f"(b) insert through the server (HTTP POST)      {rate('b_insert_through_server_s')}",
        f"    clickhouse-connect raw_insert(generator)   {rate('b_raw_insert_iterable_s')}",
        f"    clickhouse-connect raw_insert(bytes)       {rate('b_raw_insert_bytes_s')}",
        f"(c) SELECT, clickhouse-connect in process      {rate('c_select_in_process_s')}",
        f"(d) SELECT through the server (query)          {rate('d_select_through_server_s')}",
        f"    SELECT through the server (block stream)   {rate('d_stream_through_server_s')}",
        f"b/a = {b_a:.2f} (target >= 0.8: {'met' if b_a >= 0.8 else 'MISSED'})",
        f"d/c = {d_c:.2f} (target >= 0.7: {'met' if d_c >= 0.7 else 'MISSED'})",
        f"server peak RSS: {figures['server_peak_rss_mib']:.0f} MiB",
    ]


@click.command("warehouse")
@click.option("--rows", default=1_000_000, show_default=True, help="Rows inserted and read.")
@click.option("--repeat", default=3, show_default=True, help="Runs per figure (median).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_warehouse(rows: int, repeat: int, as_json: bool) -> None:
    """The warehouse server against chdb in process: Avro inserts and SELECT reads."""
    with tempfile.TemporaryDirectory(prefix="ugc-bench-warehouse-") as tmp:
        figures = measure(rows, repeat, Path(tmp))
    if as_json:
        click.echo(json.dumps(figures, indent=2))
    else:
        click.echo("\n".join(report(figures)))
