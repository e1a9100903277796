"""Settings of the registry process, from `UGC_*` environment variables."""

from __future__ import annotations

from pydantic import SecretStr

from ugc.settings import KafkaClientSettings


class RegistrySettings(KafkaClientSettings):
    registry_topic: str = "_schemas"
    registry_host: str = "127.0.0.1"
    registry_port: int = 8081
    registry_workers: int = 2
    registry_threads: int = 8
    registry_store_timeout: float = 10.0
    # When both are set, POST/PUT/DELETE need HTTP Basic credentials; reads stay open.
    registry_auth_user: str | None = None
    registry_auth_password: SecretStr | None = None
