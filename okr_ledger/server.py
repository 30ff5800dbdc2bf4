"""``okr-ledger serve``: the API under gunicorn with threaded (gthread) workers.

gthread keeps connections alive and overlaps a worker's database waits; each worker
process builds its own services (and connection pool) after the fork.

Each worker counts the requests it answers; for ``/metrics`` to add them up over all
workers, prometheus-client's multiprocess mode needs a directory named by
``PROMETHEUS_MULTIPROC_DIR`` before any worker starts. ``serve`` makes an empty one of
its own (and removes it on exit) unless the environment names one already.

``make_app`` is the app factory (``gunicorn 'okr_ledger.server:make_app()'``): it builds
the settings and the services, hands them to ``web.create_app``, and tunes the garbage
collector for a server (``okr_ledger.collector``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from okr_ledger import collector
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from web.request_id import configure_logging

        configure_logging()
        return make_app(self.settings)


def make_app(settings: Settings | None = None) -> Flask:
    """The API over services built from ``settings`` (by default: the environment's)."""
    # imported here: prometheus-client picks its multiprocess mode when first imported,
    # which must come after ``serve`` has named the metrics directory
    from web import create_app

    app = create_app(bootstrap(settings or Settings.from_env()))
    collector.tune()
    return app


def serve(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    own_dir = None
    if not os.environ.get(MULTIPROCESS_DIR):
        own_dir = tempfile.mkdtemp(prefix="okr-ledger-metrics-")
        os.environ[MULTIPROCESS_DIR] = own_dir
    try:
        run(settings, host=host, port=port, workers=workers, threads=threads)
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)


def run(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    Server(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "okr-ledger",
        },
    ).run()
