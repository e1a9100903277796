"""Settings of the ingest API process, from `UGC_*` environment variables.

The JWT secret has a development default so that `ugc up` works out of the box; the API
warns at start-up while it is in use, because anyone can mint tokens with it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from ugc.settings import KafkaClientSettings, RegistryClientSettings

log = logging.getLogger(__name__)

DEV_JWT_SECRET = "ugc-local-development-secret-change-me"


class ApiSettings(KafkaClientSettings, RegistryClientSettings):
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 2
    # gevent: each worker serves many requests on greenlets in one OS thread, which suits
    # requests that mostly wait for Kafka's acknowledgement; gthread: OS threads.
    api_worker_class: Literal["gevent", "gthread"] = "gevent"
    api_threads: int = 32  # gthread only
    api_worker_connections: int = 1000  # gevent only
    # HS256 with the secret, or RS256 with a PEM public key when one is set.
    api_jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    api_jwt_public_key: str | None = None
    api_jwt_leeway: float = 10.0
    # Per-token token bucket: sustained requests per second and burst; 0 turns it off.
    api_rate_limit: float = 200.0
    api_rate_burst: int = 400
    api_max_batch_events: int = 500
    api_max_body_bytes: int = 1024 * 1024
    # How long the list of event types and their latest schemas is trusted before a refresh,
    # and how long a stale copy may still serve while the registry cannot be reached: by
    # default none (a registry outage answers 503 at the next refresh); a deployment that
    # would rather ride out outages on cached schemas (ids never change meaning) raises it.
    api_catalog_ttl: float = 10.0
    api_catalog_max_stale: float = 0.0
    # The producer gives up on a message after this long; the request waits a bit longer.
    api_delivery_timeout: float = 10.0
    api_linger_ms: float = 2.0
    api_compression: str = "lz4"
    api_queue_max_messages: int = 100_000
    api_retry_after: int = 1
    # Examples for GET /api/v1/event-types come from here when the directory exists.
    api_schemas_dir: Path = Path("schemas")

    def uses_dev_secret(self) -> bool:
        return (
            self.api_jwt_public_key is None
            and self.api_jwt_secret.get_secret_value() == DEV_JWT_SECRET
        )

    def warn_if_insecure(self) -> None:
        if self.uses_dev_secret():
            log.warning(
                "UGC_API_JWT_SECRET is the built-in development secret: anyone can mint "
                "tokens; set UGC_API_JWT_SECRET or UGC_API_JWT_PUBLIC_KEY in production"
            )
