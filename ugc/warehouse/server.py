"""`ugc warehouse serve`: ClickHouse's HTTP interface over the embedded chdb directory.

A threading HTTP/1.1 server (one thread per connection, keep-alive) in the one process
that owns the directory. `/` runs queries and inserts as `handler.QueryHandler` describes;
`/ping` and `/replicas_status` answer `Ok.`; any other path is a 404 naming the handles
there are. See NOTES.md beside this file for what is and is not ClickHouse's behaviour.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from http.server import ThreadingHTTPServer
from types import FrameType

from ugc.errors import SetupError
from ugc.warehouse.engine import Engine
from ugc.warehouse.handler import QueryHandler
from ugc.warehouse.sessions import Sessions
from ugc.warehouse.settings import WarehouseSettings

log = logging.getLogger(__name__)


class WarehouseServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, settings: WarehouseSettings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = Sessions()
        try:
            super().__init__((settings.warehouse_host, settings.warehouse_port), QueryHandler)
        except OSError as exc:
            raise SetupError(
                f"warehouse: cannot listen on {settings.warehouse_host}:"
                f"{settings.warehouse_port}: {exc.strerror}"
            ) from exc

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def start(settings: WarehouseSettings) -> WarehouseServer:
    """Claim the directory and bind the port; the caller runs `serve_forever`."""
    engine = Engine(settings.directory)
    try:
        return WarehouseServer(settings, engine)
    except BaseException:
        engine.close()
        raise


def run(settings: WarehouseSettings, *, grace: float = 20.0) -> None:
    """Serve until SIGTERM/SIGINT, then let running queries finish (up to `grace` s)."""
    server = start(settings)

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("warehouse: %s received, stopping", signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "warehouse: serving %s on %s (ClickHouse %s via chdb)",
        settings.directory,
        server.url,
        server.engine.version,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        deadline = time.monotonic() + grace
        while server.engine.running_count() and time.monotonic() < deadline:
            time.sleep(0.1)
        server.engine.close()
        log.info("warehouse: stopped")
