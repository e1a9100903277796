"""Settings of the console process (`ugc console serve`), from `UGC_*` environment variables.

Writes (creating or deleting topics, producing, resetting offsets, replaying dead letters,
changing a compatibility level) need a login, so they are possible only when a password
(`UGC_CONSOLE_PASSWORD`) or a token (`UGC_CONSOLE_TOKEN`) is set, and never when
`UGC_CONSOLE_READ_ONLY` is true. Reading needs no login.
"""

from __future__ import annotations

from pydantic import SecretStr

from ugc.settings import KafkaClientSettings, RegistryClientSettings
from ugc.warehouse.settings import ClientSettings as WarehouseClientSettings


class ConsoleSettings(KafkaClientSettings, RegistryClientSettings, WarehouseClientSettings):
    console_host: str = "127.0.0.1"
    console_port: int = 8080
    console_threads: int = 8
    console_read_only: bool = False
    console_username: str = "admin"
    console_password: SecretStr | None = None
    console_token: SecretStr | None = None
    # Signs the session cookie; a random key per process start when unset (logins then end
    # with the process, which is fine for one worker).
    console_secret_key: SecretStr | None = None
    # The warehouse (UGC_CLICKHOUSE_DSN, from WarehouseClientSettings) is read through its
    # views and versioned tables in this database.
    console_warehouse_database: str = "ugc"
    console_dead_letter_topic: str = "ugc-etl.dead-letters"
    console_page_size: int = 25
    # A filtered page stops after this many messages were scanned, and says so.
    console_scan_limit: int = 10_000
    # Values longer than this are shown truncated (the raw view says how long they are).
    console_shown_bytes: int = 64 * 1024
    console_kafka_timeout: float = 10.0

    def can_log_in(self) -> bool:
        return self.console_password is not None or self.console_token is not None

    def writes_enabled(self) -> bool:
        return not self.console_read_only and self.can_log_in()

    def why_read_only(self) -> str | None:
        """Why writes are refused, or None when a logged-in user may write."""
        if self.console_read_only:
            return "the console is read-only (UGC_CONSOLE_READ_ONLY)"
        if not self.can_log_in():
            return "writes need a login: set UGC_CONSOLE_PASSWORD or UGC_CONSOLE_TOKEN"
        return None
