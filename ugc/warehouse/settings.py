"""Settings of the warehouse server (`ugc warehouse serve`) and of its clients.

`WarehouseSettings` is the server's: where the embedded directory lives
(`<UGC_DATA_DIR>/clickhouse`), the address it binds and its users.
`UGC_WAREHOUSE_USERS` is JSON, e.g.
`{"default": {}, "etl": {"password": "s3cret"}, "analyst": {"password": "pw", "readonly": true}}`;
a user without a password is accepted from loopback addresses only. `ClientSettings` is
what `ugc query` and the other components read: `UGC_CLICKHOUSE_DSN`.
"""

from __future__ import annotations

import socket
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from ugc.settings import UgcSettings

LOCAL_DSN = "http://127.0.0.1:8123"


class WarehouseUser(BaseModel):
    """One user of the HTTP interface; `readonly` users run with ClickHouse's readonly=1."""

    password: SecretStr = SecretStr("")
    readonly: bool = False


class WarehouseSettings(UgcSettings):
    data_dir: Path = Path("var")
    warehouse_host: str = "127.0.0.1"
    warehouse_port: int = 8123
    warehouse_users: dict[str, WarehouseUser] = Field(
        default_factory=lambda: {"default": WarehouseUser()}
    )
    warehouse_display_name: str = socket.gethostname()
    warehouse_max_query_size: int = 262144

    @property
    def directory(self) -> Path:
        """The chdb data directory this server owns."""
        return (self.data_dir / "clickhouse").expanduser().resolve()


class ClientSettings(UgcSettings):
    clickhouse_dsn: str = LOCAL_DSN
