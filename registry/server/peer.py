"""Each registry process's own listener, the address it advertises for forwarded writes.

gunicorn's workers share one public port, so a request sent there may land on any worker;
a write forwarded to the leader must reach the one process that leads. Each worker
therefore also serves the same app on a port of its own (chosen by the OS on the
registry's host) and takes part in the election under that URL. Only forwarded writes
arrive here, and the leader handles them one batch at a time anyway, so a small threaded
server is enough.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

_WILDCARDS = ("", "0.0.0.0", "::")


class _QuietHandler(WSGIRequestHandler):
    # Headers and body leave in separate writes: with Nagle's algorithm the body would
    # wait for the client's delayed ACK of the headers (tens of ms per forwarded write).
    disable_nagle_algorithm = True

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # forwarded writes are logged by the process that handles them


def advertised_host(bind_host: str, configured: str | None) -> str:
    """The host name other processes reach this one at."""
    if configured:
        return configured
    return socket.gethostname() if bind_host in _WILDCARDS else bind_host


class PeerListener:
    def __init__(self, app: Any, host: str, advertised: str) -> None:
        self._server: BaseWSGIServer = make_server(
            host, 0, app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://{advertised}:{self._server.server_port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="registry-peer", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
