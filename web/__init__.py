"""The HTTP layer: a thin Flask app over the command bus and the read side.

``create_app(services, config=None)`` serves services that are already built (the
composition root, ``okr_ledger.bootstrap``, builds them; tests build them on a memory
store); nothing is built at import time, and nothing here reads settings itself.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from ledger.cycle import CLOSED_CYCLE_RULE
from web import board, errors, metrics, read_views, refs, request_id
from web.auth import guard_api_request
from web.health import blp as health_blueprint
from web.imports import blp as imports_blueprint
from web.json import OrjsonProvider
from web.log import blp as log_blueprint
from web.resources import blueprints
from web.state_responses import register_event_schemas
from web.webhooks import blp as webhooks_blueprint


class OkrApi(Api):  # type: ignore[misc]
    """flask-smorest's API, answering every HTTP error in the project's one shape."""

    ERROR_SCHEMA = errors.ApiErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        return errors.http_error(error)


class App(Flask):
    json_provider_class = OrjsonProvider


def create_app(services: Any, config: dict[str, Any] | None = None) -> Flask:
    """The API and the board over ``services`` (``okr_ledger.bootstrap.Services``, or
    anything with the same attributes); ``config`` adds Flask settings."""
    app = App(__name__)
    app.config.update(
        API_TITLE="OKR Ledger",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.config.update(config or {})
    app.extensions["okr_ledger"] = services

    api = OkrApi(
        app,
        spec_kwargs={
            "info": {
                "description": "Every OKR act as an immutable event in a signed transparency log. "
                f"{CLOSED_CYCLE_RULE} Every scoring rule and re-scoring parameter is in "
                "docs/scoring.md of the source."
            },
        },
    )
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "an API token"}
    )
    api.spec.options["security"] = [{"bearer": []}]
    errors.register(app)
    refs.register(app, api)
    app.before_request(guard_api_request)
    metrics.register(app)  # these two go first, before authentication may refuse
    request_id.register(app)
    api.register_blueprint(health_blueprint)
    api.register_blueprint(metrics.blp)
    for blueprint in blueprints():
        api.register_blueprint(blueprint)
    api.register_blueprint(read_views.blueprint(read_views.VIEWS))
    api.register_blueprint(imports_blueprint)
    api.register_blueprint(log_blueprint)
    api.register_blueprint(webhooks_blueprint)
    register_event_schemas(api.spec)
    board.register(app)
    return app
