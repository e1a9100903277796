"""The API's server process, `python -m services.api.server WORKER_CLASS`: what
`ugc api serve` becomes.

Two things must happen before the rest of the API is imported, and the `ugc` command has
imported most of it by the time it has parsed its options; so `ugc api serve` replaces
itself with this module, whose `prepare_process` does them first:
- gevent patches the standard library (sockets, threading, ssl) when the worker class is
  gevent: patching after those modules are in use is unreliable;
- prometheus_client learns its multiprocess directory (PROMETHEUS_MULTIPROC_DIR, read
  when it is imported): gunicorn's workers are processes, and /metrics must count all of
  them, whichever worker answers the scrape.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

WORKER_CLASSES = ("gevent", "gthread")
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def prepare_process(worker_class: str) -> None:
    """Patch for gevent and set up the metrics directory; call before importing the API."""
    if worker_class == "gevent":
        from gevent import monkey

        monkey.patch_all()
    given = os.environ.get(METRICS_DIR)
    if given:
        # Values of an earlier run would be added to this one's: the directory starts empty.
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return
    made = tempfile.mkdtemp(prefix="ugc-api-metrics-")
    os.environ[METRICS_DIR] = made
    server = os.getpid()  # the workers are forks: only the server removes the directory

    def remove() -> None:
        if os.getpid() == server:
            shutil.rmtree(made, ignore_errors=True)

    atexit.register(remove)


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in WORKER_CLASSES:
        print(
            f"usage: python -m services.api.server {{{','.join(WORKER_CLASSES)}}}", file=sys.stderr
        )
        raise SystemExit(2)
    prepare_process(argv[0])

    from services.api.app import create_app
    from services.api.settings import ApiSettings
    from ugc import logs
    from ugc.serving import serve

    logs.configure()
    settings = ApiSettings()
    settings.log_once("api")
    serve(
        lambda: create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        threads=settings.api_threads,
        worker_class=argv[0],
        worker_connections=settings.api_worker_connections,
        name="ugc-api",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
