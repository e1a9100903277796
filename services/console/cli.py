"""`ugc console serve`: the console under gunicorn (one worker, threads: the session's
signing key and the pooled Kafka consumer live in that one process)."""

from __future__ import annotations

import atexit

import click

from services.console.settings import ConsoleSettings
from ugc.serving import serve as serve_app


@click.group("console")
def console_group() -> None:
    """The web console: topics, decoded messages, groups, schemas, the pipeline."""


@console_group.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), help="Default: UGC_CONSOLE_PORT or 8080.")
@click.option("--host", help="Default: UGC_CONSOLE_HOST or 127.0.0.1.")
@click.option("--read-only", is_flag=True, default=None, help="Refuse every write.")
def serve(port: int | None, host: str | None, read_only: bool | None) -> None:
    """Serve the console.

    Kafka comes from UGC_KAFKA_BOOTSTRAP, the registry from UGC_REGISTRY_URL, the warehouse
    from UGC_CLICKHOUSE_DSN. Writes need UGC_CONSOLE_PASSWORD or UGC_CONSOLE_TOKEN.
    """
    settings = ConsoleSettings().overridden(
        console_port=port, console_host=host, console_read_only=read_only
    )
    settings.log_once("console")

    def factory() -> object:
        from services.console.app import create_app

        app = create_app(settings)
        # The worker closes its Kafka clients on the way out (the pooled consumer leaves
        # cleanly; the producer flushes anything still queued).
        atexit.register(app.extensions["ugc.console"].cluster.close)
        return app

    serve_app(
        factory,
        host=settings.console_host,
        port=settings.console_port,
        workers=1,
        threads=settings.console_threads,
        name="ugc-console",
    )
