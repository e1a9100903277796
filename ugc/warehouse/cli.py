"""`ugc warehouse serve` and `ugc query`: the local warehouse server and a SQL prompt for any.

`ugc query "<SQL>"` runs on the warehouse `UGC_CLICKHOUSE_DSN` names (the local server by
default) and prints a table; `--format csv|json|tsv|…` prints ClickHouse's own output in
that format instead. A ClickHouse error is printed as ClickHouse words it, exit status 1.
"""

from __future__ import annotations

from pathlib import Path

import click
from clickhouse_connect.driver.exceptions import ClickHouseError as ConnectError
from rich.console import Console
from rich.table import Table

from ugc.errors import UgcError
from ugc.warehouse.client import connect
from ugc.warehouse.settings import ClientSettings, WarehouseSettings

# Short names for --format; anything else is passed to ClickHouse as a format name.
_FORMATS = {
    "csv": "CSVWithNames",
    "tsv": "TabSeparatedWithNames",
    "json": "JSON",
    "jsonl": "JSONEachRow",
    "pretty": "PrettyCompact",
    "markdown": "Markdown",
}


@click.group("warehouse")
def warehouse_group() -> None:
    """The local warehouse: ClickHouse's HTTP interface over the embedded chdb directory."""


@warehouse_group.command("serve")
@click.option("--port", type=int, default=None, help="Port (default UGC_WAREHOUSE_PORT, 8123).")
@click.option("--host", default=None, help="Address (default UGC_WAREHOUSE_HOST, 127.0.0.1).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="State directory; the warehouse is <data-dir>/clickhouse (default UGC_DATA_DIR, var).",
)
def serve(port: int | None, host: str | None, data_dir: Path | None) -> None:
    """Own the embedded warehouse and serve ClickHouse's HTTP interface until stopped."""
    from ugc.warehouse.server import run

    settings = WarehouseSettings().overridden(
        warehouse_port=port, warehouse_host=host, data_dir=data_dir
    )
    settings.log_once("warehouse")
    run(settings)


@click.command("query")
@click.argument("sql")
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    help="table, csv, tsv, json, jsonl, pretty, markdown, or any ClickHouse output format.",
)
def query(sql: str, fmt: str) -> None:
    """Run SQL on the configured warehouse (UGC_CLICKHOUSE_DSN) and print the result."""
    client = connect(ClientSettings().clickhouse_dsn, role="query")
    try:
        if fmt == "table":
            _print_table(client.query(sql))
        else:
            output = client.raw_query(sql, fmt=_FORMATS.get(fmt.lower(), fmt))
            click.echo(output.decode(errors="replace"), nl=not output.endswith(b"\n"))
    except ConnectError as exc:
        raise UgcError(_clickhouse_message(exc)) from exc
    finally:
        client.close()


def _print_table(result: object) -> None:
    names = list(getattr(result, "column_names", ()))
    rows = list(getattr(result, "result_rows", ()))
    table = Table(*names, show_lines=False)
    for row in rows:
        table.add_row(*("NULL" if value is None else str(value) for value in row))
    console = Console()
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", style="dim")


def _clickhouse_message(exc: ConnectError) -> str:
    """ClickHouse's own `Code: N. DB::Exception: …` line out of clickhouse-connect's text."""
    text = str(exc)
    start = text.find("Code: ")
    if start < 0:
        return text.strip()
    end = text.find(" (for url ", start)
    return text[start : end if end > 0 else None].strip()
