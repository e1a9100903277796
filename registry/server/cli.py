"""`ugc registry serve`: the Confluent-compatible registry under gunicorn."""

from __future__ import annotations

import click

from registry.server.settings import RegistrySettings


@click.group("registry")
def registry_group() -> None:
    """The schema registry (Confluent Schema Registry API, state in Kafka `_schemas`)."""


@registry_group.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), help="Default: UGC_REGISTRY_PORT or 8081.")
@click.option("--host", help="Default: UGC_REGISTRY_HOST or 127.0.0.1.")
@click.option("--workers", type=click.IntRange(1, 64), help="Default: UGC_REGISTRY_WORKERS or 2.")
def serve(port: int | None, host: str | None, workers: int | None) -> None:
    """Serve the registry; reads the schemas topic to its end before answering.

    Kafka comes from UGC_KAFKA_BOOTSTRAP (default 127.0.0.1:9092), the topic from
    UGC_REGISTRY_TOPIC (default _schemas). Writes can require HTTP Basic credentials:
    set UGC_REGISTRY_AUTH_USER and UGC_REGISTRY_AUTH_PASSWORD.
    """
    from registry.server.app import create_app
    from registry.server.high_water import SharedHighWater
    from ugc.serving import serve as run

    settings = RegistrySettings().overridden(
        registry_port=port, registry_host=host, registry_workers=workers
    )
    settings.log_once("registry")
    _require_kafka(settings)
    high_water = SharedHighWater()  # before gunicorn forks: one for all workers
    run(
        lambda: create_app(settings, high_water=high_water),
        host=settings.registry_host,
        port=settings.registry_port,
        workers=settings.registry_workers,
        threads=settings.registry_threads,
        name="ugc-registry",
    )


def _require_kafka(settings: RegistrySettings) -> None:
    """Fail in one line before gunicorn starts, rather than in every worker's boot."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    from ugc.errors import UgcError

    admin = AdminClient(settings.kafka_config({"log_level": 0}))
    try:
        admin.list_topics(timeout=settings.registry_store_timeout)
    except KafkaException as exc:
        raise UgcError(
            f"Kafka at {settings.kafka_bootstrap} is unreachable ({exc.args[0].str()}); start it "
            "(ugc kafka start) or set UGC_KAFKA_BOOTSTRAP"
        ) from exc
