"""The `ugc` command: one entry point for every process and tool of the platform.

Exit codes: 0 success; 1 a failed check, an unreachable service or a setup problem
(reported as one line on stderr); 2 a usage error.
"""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from compare.cli import bench_compare
from contracts.cli import schemas_group
from etl.cli import dlq_group, etl_group
from registry.server.cli import registry_group
from services.api.cli import api_group, demo, token
from services.console.cli import console_group
from ugc import logs, stack
from ugc.bench import bench_group
from ugc.bench.api import bench_api
from ugc.bench.console import bench_console
from ugc.bench.etl import bench_etl
from ugc.bench.registry import bench_registry
from ugc.bench.warehouse import bench_warehouse
from ugc.errors import UgcError
from ugc.kafka.cli import kafka_group
from ugc.settings import StackSettings
from ugc.warehouse.cli import query, warehouse_group


class UgcGroup(click.Group):
    """A click group that turns our errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UgcError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=UgcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """ugc: a schema-first event platform (HTTP → Avro/registry → Kafka → ClickHouse).

    Start the local stack with `ugc up`, look at it with `ugc status`, stop it with
    `ugc down`. Settings come from UGC_* environment variables.
    """
    logs.configure(verbose=verbose)


main.add_command(kafka_group)
main.add_command(registry_group)
main.add_command(api_group)
main.add_command(console_group)
main.add_command(token)
main.add_command(demo)
bench_group.add_command(bench_api)
bench_group.add_command(bench_registry)
bench_group.add_command(bench_warehouse)
bench_group.add_command(bench_compare)
bench_group.add_command(bench_console)
bench_group.add_command(bench_etl)
main.add_command(bench_group)
main.add_command(schemas_group)
main.add_command(warehouse_group)
main.add_command(query)
main.add_command(etl_group)
main.add_command(dlq_group)


def _print_statuses(statuses: list[stack.ComponentStatus]) -> None:
    table = Table("component", "state", "url", "health", "log")
    for column in table.columns:
        column.no_wrap = True
    for item in statuses:
        state = "[green]running[/]" if item.running else "[red]stopped[/]"
        table.add_row(item.name, state, item.url or "-", item.health, str(item.log or "-"))
    Console(width=max(Console().width, 140)).print(table)


@main.command()
def up() -> None:
    """Start the local stack (Kafka first) and wait until each part is healthy."""
    settings = StackSettings()
    _print_statuses(stack.up(settings))


@main.command()
def down() -> None:
    """Stop everything `ugc up` started, in reverse order."""
    for report in stack.down(StackSettings()):
        click.echo(report.describe())


@main.command()
def status() -> None:
    """Show each component, its URL and health; exit 1 unless all run."""
    statuses = stack.status(StackSettings())
    _print_statuses(statuses)
    if not all(item.running for item in statuses):
        raise SystemExit(1)
