"""`ugc bench …`: the benchmark scripts, one subcommand per component (not timed tests):
`api` (the ingest API against trivial Flask endpoints), `registry` (lookups, registration,
compatibility checks), both driving `wrk` (`ugc.bench.wrk`), and `warehouse` (the warehouse
server against chdb in process)."""

from __future__ import annotations

import click


@click.group("bench")
def bench_group() -> None:
    """Benchmarks of the platform's components on this machine."""
