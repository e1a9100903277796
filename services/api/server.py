"""The API's server process, `python -m services.api.server WORKER_CLASS`: what
`ugc api serve` becomes.

gevent must patch the standard library (sockets, threading, ssl) before anything imports
it, and the `ugc` command has imported most of it by the time it has parsed its options.
So `ugc api serve` replaces itself with this module, whose first act is the patch when
the worker class is gevent; then it reads the settings (UGC_* variables) and runs gunicorn.
"""

from __future__ import annotations

import sys

WORKER_CLASSES = ("gevent", "gthread")


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in WORKER_CLASSES:
        raise SystemExit(f"usage: python -m services.api.server {{{','.join(WORKER_CLASSES)}}}")
    if argv[0] == "gevent":
        from gevent import monkey

        monkey.patch_all()

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
