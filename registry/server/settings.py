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
    # False: a read-only replica that never leads; it forwards writes to the leader.
    registry_leader_eligible: bool = True
    # How other registry processes reach this one (default: the bind host, or the machine's
    # host name when binding every interface).
    registry_advertised_host: str | None = None
    # A leader that stops heartbeating is replaced after this long (the broker's
    # group.min.session.timeout.ms, 6000 by default, is the floor).
    registry_leader_session_timeout_ms: int = 6000
    # When both are set, POST/PUT/DELETE need HTTP Basic credentials; reads stay open.
    registry_auth_user: str | None = None
    registry_auth_password: SecretStr | None = None
