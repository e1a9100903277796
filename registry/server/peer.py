"""Each registry process's own listener, the address it advertises for forwarded writes.

gunicorn's workers share one public port, so a request sent there may land on any worker;
a write forwarded to the leader must reach the one process that leads. Each worker
therefore also serves the same app on a port of its own (chosen by the OS on the
registry's host) and takes part in the election under that URL.

Only forwarded writes arrive here, from the followers' pooled connections, so the listener
must keep connections alive: waitress does (HTTP/1.1 keep-alive, TCP_NODELAY by default),
where werkzeug's development server closed every connection after one answer and each
forwarded write paid a new TCP handshake. Its threads wait on the leader's log
writer, which batches concurrent writes, so they are many and cheap.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from waitress.server import BaseWSGIServer, create_server

_WILDCARDS = ("", "0.0.0.0", "::")
_THREADS = 16
_STOP_SECONDS = 5


def advertised_host(bind_host: str, configured: str | None) -> str:
    """The host name other processes reach this one at."""
    if configured:
        return configured
    return socket.gethostname() if bind_host in _WILDCARDS else bind_host


class PeerListener:
    def __init__(self, app: Any, host: str, advertised: str) -> None:
        sock = _bound_socket(host)
        self._channels: dict[int, Any] = {}
        server = create_server(
            app, map=self._channels, sockets=[sock], threads=_THREADS, ident="ugc-registry"
        )
        assert isinstance(server, BaseWSGIServer)  # one socket: one server, not a multi-server
        self._server = server
        self.url = f"http://{advertised}:{sock.getsockname()[1]}"
        self._thread: threading.Thread | None = None
        self._stopped = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.run, name="registry-peer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the listener and every open connection, then stop the request threads.
        Only the first call does anything."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is None:
            self._close_all()
        else:
            # The channels belong to the server's loop thread: close them from there.
            trigger: Any = self._server.trigger  # a waitress.trigger.trigger (stubs say int)
            trigger.pull_trigger(self._close_all)
            self._thread.join(_STOP_SECONDS)
        self._server.task_dispatcher.shutdown(timeout=_STOP_SECONDS)

    def _close_all(self) -> None:
        for channel in list(self._channels.values()):
            channel.close()


def _bound_socket(host: str) -> socket.socket:
    """A socket bound to a free port on `host` (IPv4 or IPv6, whichever the name gives)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    return sock
