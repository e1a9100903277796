"""The ClickHouse warehouse: the client every component uses, and the local server.

`client` connects clickhouse-connect to a DSN (a server over HTTP, or chdb in process);
`ownership` guards an embedded chdb directory so one process holds it; `server` is
`ugc warehouse serve`, the one process that owns the local directory and speaks
ClickHouse's HTTP interface over it (see NOTES.md beside this file).
"""

from ugc.warehouse.client import connect, default_dsn, embedded_path

__all__ = ["connect", "default_dsn", "embedded_path"]
