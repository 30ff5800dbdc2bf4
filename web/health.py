"""Liveness and readiness, open to anyone (load balancers, orchestrators)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from web.errors import ApiErrorSchema

blp = Blueprint("health", __name__, description="Liveness and readiness")


class HealthSchema(Schema):
    status = fields.String(required=True)
    position = fields.Integer(metadata={"description": "the log's head position"})


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def healthz() -> Any:
    """The process is up."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=ApiErrorSchema)
@blp.doc(security=[])
def readyz() -> Any:
    """The process can reach its database."""
    ledger = current_app.extensions["okr_ledger"].ledger
    try:
        position = ledger.head_position()
    except Exception:  # any failure to reach the store means "not ready"
        from web.errors import error_response

        return error_response(503, "database_unavailable", "the database cannot be reached")
    return {"status": "ready", "position": position}
