"""`ugc etl run` and `ugc dlq list | show | replay`.

Exit codes as for every `ugc` command: 0 ok, 1 a service unreachable or a failed step,
2 usage.
"""

from __future__ import annotations

import datetime
import gc
import json
import signal
import sys
import threading
from typing import Any

import click

from etl.dead_letter import DeadLetter
from etl.settings import EtlSettings
from ugc.errors import UgcError


@click.group("etl")
def etl_group() -> None:
    """The ETL: Kafka event topics -> versioned ClickHouse tables and one view per type."""


def _spare_the_collector() -> None:
    """Keep the cyclic garbage collector off the per-message path. Each consumed message is
    a GC-tracked object, so full collections kept walking everything start-up imported:
    they took about a third of the ETL's CPU (perf, 1M messages). Nothing the loop makes
    holds a cycle that must be freed promptly; the start-up objects are frozen out of
    collection and collections run 100 times less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(70_000, 10, 10)


def _hand_the_gil_on_sooner() -> None:
    """The writer thread sends each insert's body (~25 MB) while the loop thread runs
    Python; after every partial send it waits for the GIL, up to the interpreter's switch
    interval (5 ms). A 25 MB POST to a reader in another process took 54 ms beside a
    GIL-busy thread and 15 ms at 0.5 ms (8 ms alone), and the warehouse server decodes
    only as fast as the body arrives. `ugc bench etl`, nine rounds each, alternating:
    c 315-385k events/s (mean 348k) against 305-352k (mean 325k)."""
    sys.setswitchinterval(0.0005)


@etl_group.command("run")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="/metrics and /healthz port (default UGC_ETL_PORT or 8090; 0 picks a free one).",
)
def run(port: int | None) -> None:
    """Consume ugc.<event_type> topics and load them until SIGTERM or SIGINT."""
    from etl.metrics import serve
    from etl.runner import build

    settings = EtlSettings().overridden(etl_port=port)
    settings.log_once("etl")
    stop = threading.Event()
    process = None

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()
        if process is not None:
            process.loop.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    process = build(settings, stop=stop)
    server = serve(process.metrics, process.loop.health, settings.etl_host, settings.etl_port)
    if stop.is_set():
        process.loop.stop()
    _spare_the_collector()
    _hand_the_gil_on_sooner()
    try:
        process.loop.run()
    finally:
        server.shutdown()
        process.close()


@click.group("dlq")
def dlq_group() -> None:
    """The dead-letter topic: messages the ETL could not load, with the reason."""


def _when(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).isoformat(timespec="seconds")


@dlq_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per letter.")
def list_letters(as_json: bool) -> None:
    """One line per dead letter: its offset, source, reason and error."""
    from etl.dlq import read_letters

    count = 0
    for letter, _ in read_letters(EtlSettings()):
        count += 1
        if as_json:
            click.echo(json.dumps(_summary(letter)))
        else:
            source = f"{letter.source_topic}[{letter.source_partition}]@{letter.source_offset}"
            click.echo(
                f"{letter.offset:>8}  {_when(letter.failed_at)}  {source:<40} "
                f"{letter.reason:<18} {letter.error[:80]}"
            )
    if not as_json:
        click.echo(f"{count} dead letters")


def _summary(letter: DeadLetter) -> dict[str, Any]:
    return {
        "offset": letter.offset,
        "source_topic": letter.source_topic,
        "source_partition": letter.source_partition,
        "source_offset": letter.source_offset,
        "schema_id": letter.schema_id,
        "reason": letter.reason,
        "error": letter.error,
        "failed_at": _when(letter.failed_at),
    }


@dlq_group.command("show")
@click.argument("offset", type=click.IntRange(0))
def show(offset: int) -> None:
    """Everything about the dead letter at OFFSET, with its raw key and value."""
    from etl.dlq import read_letters

    for letter, _ in read_letters(EtlSettings()):
        if letter.offset == offset:
            details = _summary(letter)
            details["key"] = None if letter.key is None else letter.key.decode("utf-8", "replace")
            details["value_hex"] = None if letter.value is None else letter.value.hex()
            click.echo(json.dumps(details, indent=2))
            return
    raise UgcError(f"no dead letter at offset {offset}")


@dlq_group.command("replay")
@click.option("--reason", help="Only letters with this reason class.")
@click.option("--topic", "source_topic", help="Only letters from this source topic.")
@click.option("--all", "from_start", is_flag=True, help="Start over from the first letter.")
def replay_letters(reason: str | None, source_topic: str | None, from_start: bool) -> None:
    """Put the original messages back on their source topics (after a fix), once each."""
    from etl.dlq import replay

    def select(letter: DeadLetter) -> bool:
        return (reason is None or letter.reason == reason) and (
            source_topic is None or letter.source_topic == source_topic
        )

    report = replay(EtlSettings(), select=select, from_start=from_start)
    click.echo(
        f"replayed {report.replayed} messages to their source topics "
        f"({report.duplicates} duplicate letters, {report.skipped} not selected)"
    )
