"""``okr-ledger serve``: the API under gunicorn with threaded (gthread) workers.

gthread keeps connections alive and overlaps a worker's database waits; each worker
process builds its own services (and connection pool) after the fork.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from okr_ledger.config import Settings


class Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from web import create_app

        return create_app({"DATABASE_URL": self.settings.database_url})


def serve(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
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
