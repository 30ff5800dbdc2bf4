"""The baseline for the HTTP benchmark: a bare Flask route doing one raw psycopg
INSERT + COMMIT of the request body, served exactly like the real API."""

from __future__ import annotations

import json
import os

from flask import Flask, request
from psycopg_pool import ConnectionPool


def create_bare_app() -> Flask:
    app = Flask(__name__)
    pool = ConnectionPool(os.environ["BARE_DSN"], min_size=2, max_size=16, open=True)

    @app.post("/bare/<kr>")
    def insert(kr: str) -> tuple[dict[str, str], int]:
        body = request.get_json()
        with pool.connection() as conn:
            conn.execute(
                "INSERT INTO bench_bare (kr, state) VALUES (%s, %s)", (kr, json.dumps(body))
            )
        return {"status": "ok"}, 201

    return app
