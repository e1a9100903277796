"""`ugc bench etl`: the ETL against the two ceilings it sits between, in one run, same data.

It starts what it measures in a temporary directory (a Kafka broker, a registry in this
process, the warehouse server `ugc warehouse serve` when this build has it, else chdb in
this process, and says which), fills a topic with `--events` film_progress events through
the real serializer (`registry.client.serdes.AvroSerializer`), then measures, in
`--rounds` rounds of (a), (b), (c) in turn over the same data:

- (a) the raw consume rate of that topic with confluent-kafka and no processing (Kafka's
  ceiling), with the fetch settings that consumed fastest here (`RAW_CONSUMER`), timed
  like (c) from partition assignment to the last message (the consumer's start-up, its
  offset lookup and first fetch, is part of both); the rate from the first message
  received is printed beside it;
- (b) ClickHouse's own AvroConfluent reader loading the same framed values from a file into
  the same table, in process (the warehouse's ceiling), with the insert settings that loaded
  fastest here (`READER_SETTINGS`);
- (c) `ugc etl run` end to end, from partition assignment until the last row is counted in
  the warehouse; its peak RSS (VmHWM);
- the end-to-end lag p99 (occurred_at, set at produce time → `_loaded_at`) while events
  arrive at a steady rate with the ETL running;
- what deduplication costs a reader: a count per film over every row, through the view
  (`FINAL`) and from the table itself, through the warehouse server.

Every round is printed; the headline figures are the medians over the rounds, and the
ratio is the median of each round's c / min(a, b), a and c measured a few seconds apart.
On this shared 2-core host a single round swings by ±15% and more (c 270-476k events/s
in one afternoon on the same code), so one round's ratio is mostly the host's noise.
The lag and the reader's cost are measured once, after the last round.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from werkzeug.serving import make_server

from contracts.loading import load_contracts
from etl.mapping import columns_of, quote_name
from etl.tables import create_statement
from registry.client.avro.parse import parse_schema
from registry.client.client import RegistryClient
from registry.client.serdes import AvroSerializer
from registry.server.app import create_app
from registry.server.settings import RegistrySettings
from registry.server.store import MemoryStore
from ugc.errors import SetupError
from ugc.kafka.broker import LocalKafka
from ugc.process import ManagedProcess, free_port
from ugc.warehouse import connect

EVENT_TYPE = "bench_progress"
TOPIC = f"ugc.{EVENT_TYPE}"
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
TARGET_RATIO, TARGET_RATE, TARGET_RSS_MB = 0.5, 300_000, 500
FILMS = 10_000  # events spread over this many films (a count per film is a typical query)
# Measured on this machine (1M events, 3 partitions): librdkafka's defaults consumed ~160k
# msg/s, held back by the 1 s pause after a full prefetch queue; with these ~500k.
RAW_CONSUMER = {
    "fetch.queue.backoff.ms": 5,
    "max.partition.fetch.bytes": 8 << 20,
    "queued.max.messages.kbytes": 16_384,
}
# The defaults loaded ~155k rows/s: collapsing replaced rows at insert (the view reads
# FINAL anyway) and sorting one 1M-row block; with these 400-590k.
READER_SETTINGS = {
    "optimize_on_insert": 0,
    "max_insert_block_size": 100_000,
    "min_insert_block_size_rows": 100_000,
}


@dataclass
class Setup:
    tmp: Path
    bootstrap: str
    registry_url: str
    schema: str
    embedded: Client
    server_dsn: str | None


@dataclass
class Round:
    a: float
    a_streaming: float
    b: float
    c: float
    rss_mb: float

    @property
    def ratio(self) -> float:
        return self.c / min(self.a, self.b)


@click.command("etl")
@click.option("--events", default=1_000_000, show_default=True, type=click.IntRange(1000))
@click.option("--partitions", default=3, show_default=True, type=click.IntRange(1, 64))
@click.option("--lag-events", default=100_000, show_default=True, type=click.IntRange(0))
@click.option("--lag-rate", default=20_000, show_default=True, help="Events/s in the lag phase.")
@click.option(
    "--rounds",
    default=3,
    show_default=True,
    type=click.IntRange(1, 15),
    help="Rounds of (a), (b), (c) over the same data; medians are reported.",
)
@click.option("--clickhouse-dsn", help="A running warehouse server (default: start our own).")
def bench_etl(
    *,
    events: int,
    partitions: int,
    lag_events: int,
    lag_rate: int,
    rounds: int,
    clickhouse_dsn: str | None,
) -> None:
    """The ETL vs raw consume and ClickHouse's own Avro reader (prints figures and ratios)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with _setup(partitions, clickhouse_dsn) as setup:
        values_file = setup.tmp / "values.avro"
        size = _fill(setup, events, values_file)
        click.echo(
            f"{events:,} film_progress events, {size / events:.0f} B each, {partitions} partitions"
        )
        where = (
            f"the warehouse server {setup.server_dsn}"
            if setup.server_dsn
            else ("chdb in this process (no warehouse server in this build)")
        )
        results: list[Round] = []
        for number in range(1, rounds + 1):
            last = number == rounds
            a, a_streaming = _raw_consume(setup.bootstrap, events)
            b = _clickhouse_reader(setup, values_file, events)
            c, rss_mb, lag_p99 = _etl(setup, events, lag_events if last else 0, lag_rate)
            done = Round(a, a_streaming, b, c, rss_mb)
            results.append(done)
            click.echo(
                f"round {number}: a {a:,.0f}  b {b:,.0f}  c {c:,.0f} events/s  "
                f"c / min(a, b) {done.ratio:.2f}  ETL peak RSS {rss_mb:,.0f} MB"
            )
        a = statistics.median([r.a for r in results])
        click.echo(
            f"(a) raw consume, confluent-kafka, no processing: {a:12,.0f} events/s "
            f"(from assignment, as (c) is timed; "
            f"{statistics.median([r.a_streaming for r in results]):,.0f} from its first message)"
        )
        b = statistics.median([r.b for r in results])
        click.echo(f"(b) ClickHouse AvroConfluent from a file, chdb: {b:12,.0f} events/s")
        c = statistics.median([r.c for r in results])
        click.echo(f"(c) ETL end to end through {where}: {c:,.0f} events/s")
        ratio = statistics.median([r.ratio for r in results])
        click.echo(
            f"c / min(a, b) = {ratio:.2f}, the median of {rounds} rounds "
            f"(target >= {TARGET_RATIO}); c {'>=' if c >= TARGET_RATE else '<'} "
            f"{TARGET_RATE:,} events/s"
        )
        rss_mb = max(r.rss_mb for r in results)
        click.echo(
            f"end-to-end lag p99 ({lag_events:,} events at {lag_rate:,}/s): "
            f"{lag_p99 * 1000:,.0f} ms"
        )
        click.echo(
            f"ETL peak RSS: {rss_mb:,.0f} MB, the highest round (target < {TARGET_RSS_MB} MB)"
        )
        view, table = _final_cost(setup)
        click.echo(
            f"count per film over every row: view (FINAL) {view * 1000:,.0f} ms, "
            f"table {table * 1000:,.0f} ms ({view / table:.1f}x)"
        )


@contextlib.contextmanager
def _setup(partitions: int, server_dsn: str | None) -> Iterator[Setup]:
    with tempfile.TemporaryDirectory(prefix="ugc-bench-etl-") as name:
        tmp = Path(name)
        broker = LocalKafka(tmp / "kafka")
        bootstrap = broker.start(free_port())
        app = create_app(RegistrySettings(), store=MemoryStore())
        http = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        warehouse = None if server_dsn else _start_warehouse(tmp)
        try:
            contract = next(c for c in load_contracts(SCHEMAS) if c.event_type == "film_progress")
            url = f"http://127.0.0.1:{http.server_port}"
            with RegistryClient(url) as registry:
                registry.register(f"{TOPIC}-value", contract.schema)  # type: ignore[arg-type]
            _create_topic(bootstrap, partitions)
            embedded = connect(f"chdb://{tmp / 'chdb'}", role="bench")
            if warehouse is not None:
                server_dsn = warehouse[1]
            yield Setup(tmp, bootstrap, url, contract.schema, embedded, server_dsn)
        finally:
            if warehouse is not None:
                warehouse[0].stop()
            http.shutdown()
            broker.stop()


def _create_topic(bootstrap: str, partitions: int) -> None:
    """In a function of its own, so the admin client is gone before the broker stops (one
    left alive printed "Connection refused" after the bench's last line)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(TOPIC, partitions, 1)])[TOPIC].result(30)


def _start_warehouse(tmp: Path) -> tuple[ManagedProcess, str] | None:
    """`ugc warehouse serve` on a free port, or None when this build has no such command."""
    probe = subprocess.run(
        [sys.executable, "-m", "ugc", "warehouse", "serve", "--help"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return None
    port = free_port()
    server = ManagedProcess(
        "warehouse",
        tmp / "warehouse.pid",
        tmp / "warehouse.log",
        marker="ugc-component=bench-warehouse",
    )
    argv = [
        sys.executable,
        "-X",
        server.marker,
        "-m",
        "ugc",
        "warehouse",
        "serve",
        "--port",
        str(port),
    ]
    server.spawn(argv, env={**os.environ, "UGC_DATA_DIR": str(tmp / "warehouse")})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return server, url
        time.sleep(0.2)
    server.stop()
    raise SetupError(f"the warehouse server did not start; see {server.log_file}")


def _record(
    rng: random.Random, now: datetime.datetime, films: list[str] | None = None
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "user_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "occurred_at": now,
        "received_at": now,
        "context": {
            "app": "cinema-tv",
            "app_version": "2.3.1",
            "platform": "smart_tv",
            "user_agent": None,
            "locale": "ru-RU",
            "session_id": None,
        },
        "film_id": rng.choice(films)
        if films
        else str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "position_ms": rng.randrange(0, 7_200_000),
        "duration_ms": 7_260_000,
    }


def _producer(bootstrap: str) -> Producer:
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 20,
            "compression.type": "lz4",
            "queue.buffering.max.messages": 1_000_000,
            "batch.num.messages": 10_000,
        }
    )


def _fill(setup: Setup, events: int, values_file: Path) -> int:
    rng = random.Random(7)
    size = 0
    with RegistryClient(setup.registry_url) as registry, values_file.open("wb") as out:
        serializer = AvroSerializer(registry)
        producer = _producer(setup.bootstrap)
        now = datetime.datetime.now(datetime.UTC)
        films = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(FILMS)]
        for n in range(events):
            record = _record(rng, now, films)
            value = serializer.serialize(TOPIC, record)
            out.write(value)
            size += len(value)
            while True:
                try:
                    producer.produce(TOPIC, value=value, key=record["user_id"].encode())
                    break
                except BufferError:
                    producer.poll(0.05)
            if n % 10_000 == 0:
                producer.poll(0)
        if producer.flush(120):
            raise SetupError("the benchmark topic could not be filled")
    return size


def _raw_consume(bootstrap: str, events: int) -> tuple[float, float]:
    """Events/s from partition assignment (the span (c) is timed over) and from the first
    message received, to the last message."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"raw-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            **RAW_CONSUMER,
        }
    )
    assigned: list[float] = []
    consumer.subscribe([TOPIC], on_assign=lambda *_: assigned.append(time.perf_counter()))
    seen = 0
    started = None
    while seen < events:
        batch = consumer.consume(10_000, 1.0)
        if batch and started is None:
            started = time.perf_counter()
        seen += len(batch)
    ended = time.perf_counter()
    consumer.close()
    first = started or ended
    return events / (ended - (assigned[0] if assigned else first)), events / (ended - first)


def _clickhouse_reader(setup: Setup, values_file: Path, events: int) -> float:
    client = setup.embedded
    columns = columns_of(parse_schema(setup.schema).root)
    client.command("CREATE DATABASE IF NOT EXISTS bench_b")
    client.command(f"DROP TABLE IF EXISTS bench_b.{EVENT_TYPE}_v1")  # the round before's
    client.command(create_statement(f"bench_b.{EVENT_TYPE}_v1", columns))
    names = ", ".join(quote_name(c.name) for c in columns)
    started = time.perf_counter()
    client.command(
        f"INSERT INTO bench_b.{EVENT_TYPE}_v1 ({names}) FROM INFILE '{values_file}'"
        " FORMAT AvroConfluent",
        settings={"format_avro_schema_registry_url": setup.registry_url, **READER_SETTINGS},
    )
    elapsed = time.perf_counter() - started
    loaded = _scalar(client, f"SELECT count() FROM bench_b.{EVENT_TYPE}_v1")
    if loaded != events:
        raise SetupError(f"ClickHouse loaded {loaded} of {events} events from the file")
    return events / elapsed


def _etl(setup: Setup, events: int, lag_events: int, lag_rate: int) -> tuple[float, float, float]:
    """(events/s, peak RSS in MB, lag p99 in s) of the ETL."""
    port = free_port()
    env = {
        **os.environ,
        "UGC_KAFKA_BOOTSTRAP": setup.bootstrap,
        "UGC_REGISTRY_URL": setup.registry_url,
        "UGC_ETL_DATABASE": "bench_c",
        "UGC_ETL_GROUP_ID": f"bench-etl-{uuid.uuid4().hex[:8]}",
        "UGC_ETL_TOPIC_PATTERN": rf"^ugc\.{EVENT_TYPE}$",
        "UGC_ETL_DEAD_LETTER_TOPIC": "bench.dead-letters",
    }
    if setup.server_dsn is None:
        raise SetupError("this build has no `ugc warehouse serve`; run with the warehouse server")
    client = connect(setup.server_dsn, role="bench")
    client.command("DROP DATABASE IF EXISTS bench_c")
    env["UGC_CLICKHOUSE_DSN"] = setup.server_dsn
    log = (setup.tmp / "etl.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ugc", "etl", "run", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=1) as health:
            _wait_assigned(health, process)
            started = time.perf_counter()
            _wait_count(client, events, process, health)
            rate = events / (time.perf_counter() - started)
            lag = _lag_p99(
                setup,
                client,
                events,
                events=lag_events,
                rate=lag_rate,
                process=process,
                health=health,
            )
        rss_mb = _peak_rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(60)
        log.close()
    return rate, rss_mb, lag


def _wait_assigned(health: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    """Until the ETL holds its partitions. Polled every 5 ms on one connection, so (c)'s
    clock starts within a few ms of the assignment (a)'s clock starts at."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError("the ETL exited during start-up")
        with contextlib.suppress(httpx.HTTPError, ValueError):
            if health.get("/healthz").json()["assigned"]:
                return
        time.sleep(0.005)
    raise SetupError("the ETL was not assigned its partitions within 120 s")


def _wait_count(
    client: Client, wanted: int, process: subprocess.Popen[bytes], health: httpx.Client
) -> None:
    """Until the table holds `wanted` rows. The ETL's own count of rows ClickHouse
    acknowledged (/healthz) is watched first: a count() through the warehouse server costs
    it ~8 ms of CPU (measured with chdb), which polling ten times a second would take from
    the load being measured. The table's count() decides."""
    table = f"bench_c.{EVENT_TYPE}_v1"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError("the ETL exited while loading")
        if _etl_loaded(health) >= wanted:
            with contextlib.suppress(Exception):
                if _scalar(client, f"SELECT count() FROM {table}") >= wanted:
                    return
            time.sleep(0.1)
        else:
            time.sleep(0.05)
    raise SetupError(f"{table} did not reach {wanted} rows within 600 s")


def _etl_loaded(health: httpx.Client) -> int:
    with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
        return int(health.get("/healthz").json()["loaded"])
    return 0


def _lag_p99(
    setup: Setup,
    client: Client,
    before: int,
    *,
    events: int,
    rate: int,
    process: subprocess.Popen[bytes],
    health: httpx.Client,
) -> float:
    if events == 0:
        return 0.0
    rng = random.Random(11)
    producer = _producer(setup.bootstrap)
    since_ms = int(time.time() * 1000)
    with RegistryClient(setup.registry_url) as registry:
        serializer = AvroSerializer(registry)
        started = time.monotonic()
        for n in range(events):
            due = started + n / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
                producer.poll(0)
            record = _record(rng, datetime.datetime.now(datetime.UTC))
            producer.produce(TOPIC, value=serializer.serialize(TOPIC, record))
        producer.flush(60)
    _wait_count(client, before + events, process, health)
    table = f"bench_c.{EVENT_TYPE}_v1"
    p99 = _scalar(
        client,
        f"SELECT quantileExact(0.99)(dateDiff('millisecond', occurred_at, _loaded_at)) "
        f"FROM {table} WHERE occurred_at >= fromUnixTimestamp64Milli(toInt64({since_ms}), 'UTC')",
    )
    return p99 / 1000


def _final_cost(setup: Setup, tries: int = 3) -> tuple[float, float]:
    """Best-of-`tries` seconds of a count per film through the view and from the table."""
    client = connect(setup.server_dsn or "", role="bench")
    seconds = []
    for source in (f"bench_c.{EVENT_TYPE}", f"bench_c.{EVENT_TYPE}_v1"):
        sql = f"SELECT film_id, count() FROM {source} GROUP BY film_id"
        best = float("inf")
        for _ in range(tries):
            started = time.perf_counter()
            client.query(sql)
            best = min(best, time.perf_counter() - started)
        seconds.append(best)
    return seconds[0], seconds[1]


def _scalar(client: Client, sql: str) -> int:
    return int(client.query(sql).result_rows[0][0])


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
