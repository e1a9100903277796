"""The ingest API's commands: `ugc api serve`, `ugc token` and `ugc demo`."""

from __future__ import annotations

import os
import sys
import uuid

import click

from services.api.settings import ApiSettings
from ugc.errors import UgcError


@click.group("api")
def api_group() -> None:
    """The ingest API (typed JSON events -> Avro -> Kafka)."""


@api_group.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), help="Default: UGC_API_PORT or 8000.")
@click.option("--host", help="Default: UGC_API_HOST or 127.0.0.1.")
@click.option("--workers", type=click.IntRange(1, 64), help="Default: UGC_API_WORKERS or 2.")
@click.option(
    "--worker-class",
    type=click.Choice(["gevent", "gthread"]),
    help="Default: UGC_API_WORKER_CLASS or gevent (greenlets; gthread: OS threads).",
)
def serve(
    port: int | None, host: str | None, workers: int | None, worker_class: str | None
) -> None:
    """Serve the API under gunicorn.

    Kafka comes from UGC_KAFKA_BOOTSTRAP, the registry from UGC_REGISTRY_URL; tokens are
    checked with UGC_API_JWT_SECRET (HS256) or UGC_API_JWT_PUBLIC_KEY (RS256, PEM).
    """
    settings = ApiSettings().overridden(
        api_port=port, api_host=host, api_workers=workers, api_worker_class=worker_class
    )
    # The server process starts afresh (see services.api.server): gevent has to patch the
    # standard library before it is imported. Options travel as the variables they override.
    env = {**os.environ, "UGC_API_PORT": str(settings.api_port)}
    env |= {"UGC_API_HOST": settings.api_host, "UGC_API_WORKERS": str(settings.api_workers)}
    env["UGC_API_WORKER_CLASS"] = settings.api_worker_class
    keep = [
        f"-X{key}" if value is True else f"-X{key}={value}" for key, value in sys._xoptions.items()
    ]
    argv = [sys.executable, *keep, "-m", "services.api.server", settings.api_worker_class]
    os.execve(sys.executable, argv, env)


@click.command("token")
@click.option("--user", "user_id", required=True, help="The user's UUID (the token's sub).")
@click.option("--ttl", default=86400, show_default=True, help="Seconds until it expires.")
def token(user_id: str, ttl: int) -> None:
    """Print a development JWT for USER, signed with UGC_API_JWT_SECRET (HS256)."""
    from services.api.auth import mint_token

    try:
        uuid.UUID(user_id)
    except ValueError:
        raise click.BadParameter("must be a UUID", param_hint="--user") from None
    settings = ApiSettings()
    if settings.api_jwt_public_key:
        raise UgcError("the API checks RS256 tokens; mint them with the private key instead")
    click.echo(mint_token(user_id, settings.api_jwt_secret.get_secret_value(), ttl=ttl))


@click.command("demo")
@click.option("--events", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--url", help="API base URL. Default: http://127.0.0.1:<UGC_API_PORT>.")
@click.option("--seed", type=int, help="Make the traffic reproducible.")
def demo(events: int, url: str | None, seed: int | None) -> None:
    """Send realistic cinema traffic through the API and print what was accepted."""
    import httpx

    from services.api.demo import run_demo

    settings = ApiSettings()
    base = url or f"http://127.0.0.1:{settings.api_port}"
    try:
        summary = run_demo(base, settings.api_jwt_secret.get_secret_value(), events, seed=seed)
    except httpx.HTTPError as exc:
        raise UgcError(f"the API at {base} cannot be reached: {exc}") from exc
    accepted = sum(summary.accepted.values())
    click.echo(f"{summary.visits} visits by {len(summary.users)} users: {accepted} accepted")
    for event_type, count in sorted(summary.accepted.items()):
        click.echo(f"  {event_type:16} {count}")
    for reason, count in sorted(summary.failed.items()):
        click.echo(f"  failed ({reason}): {count}")
    if summary.failed:
        raise SystemExit(1)
