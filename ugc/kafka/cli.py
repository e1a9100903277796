"""`ugc kafka start | stop | status`: the local broker from the command line."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ugc.kafka.broker import LocalKafka

_DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/kafka"),
    show_default=True,
    help="Directory that holds the broker's storage, config, log and pid file.",
)


@click.group("kafka")
def kafka_group() -> None:
    """Run a real Apache Kafka node (KRaft) on 127.0.0.1 for local work and tests.

    The first start fetches Kafka's jars from Maven Central into ~/.cache/ugc (needs Java 17+
    and Maven); later starts reuse them. Data stays in --data-dir across restarts.
    """


@kafka_group.command("start")
@click.option("--port", type=click.IntRange(1, 65535), default=9092, show_default=True)
@_DATA_DIR
def start(port: int, data_dir: Path) -> None:
    """Start the broker and wait until it answers a metadata request."""
    began = time.monotonic()
    bootstrap = LocalKafka(data_dir).start(port)
    click.echo(f"kafka: running at {bootstrap} ({time.monotonic() - began:.1f}s)")


@kafka_group.command("stop")
@_DATA_DIR
def stop(data_dir: Path) -> None:
    """Stop the broker (SIGTERM, wait for a clean shutdown, SIGKILL after 30s)."""
    click.echo(LocalKafka(data_dir).stop().describe())


@kafka_group.command("status")
@_DATA_DIR
def status(data_dir: Path) -> None:
    """Say whether the broker runs and where; exit 1 when it does not."""
    state = LocalKafka(data_dir).status()
    click.echo(state.describe())
    if not state.running:
        raise SystemExit(1)


@kafka_group.command("fetch")
def fetch() -> None:
    """Fetch Kafka's jars from Maven Central into the cache (done by `start` when needed)."""
    from ugc.kafka.distribution import KafkaDistribution

    dist = KafkaDistribution.default()
    cached = dist.is_complete()
    dist.ensure()
    click.echo(f"kafka {dist.version}: {'cached' if cached else 'fetched'} at {dist.libs}")
