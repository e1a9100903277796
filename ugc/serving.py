"""Running a WSGI app factory under gunicorn from our own command line.

Each worker calls the factory after the fork, so Kafka clients and their threads are
created in the process that uses them (librdkafka handles do not survive a fork).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        return self._factory()


def serve(
    factory: Callable[[], Any],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    name: str,
    worker_class: str = "gthread",
    worker_connections: int = 1000,
) -> None:
    """Serve until SIGTERM/SIGINT; gunicorn handles graceful shutdown of workers.

    `worker_class` "gthread" serves `threads` requests at once per worker on OS threads;
    "gevent" serves up to `worker_connections` per worker on greenlets (the worker patches
    the standard library for gevent before it calls the factory)."""
    if worker_class == "gthread" and threads <= 1:
        worker_class = "sync"
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_connections": worker_connections,
        "worker_class": worker_class,
        "proc_name": name,
        "accesslog": None,
        "errorlog": "-",
        "graceful_timeout": 10,
        "timeout": 60,
        "keepalive": 30,
        # Several of our servers run side by side; gunicorn's one default control socket
        # per user would be shared between them.
        "control_socket_disable": True,
    }
    GunicornServer(factory, options).run()
