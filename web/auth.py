"""Bearer-token authentication for every API route."""

from __future__ import annotations

import json

from flask import current_app, g, request

from commands.errors import Forbidden, Unauthenticated
from commands.imports.sheets import CSV_TYPE, MAX_BYTES, XLSX_TYPE
from commands.principals import ADMIN, EDITOR, Principal
from web.errors import MalformedJson, UnsupportedMediaType

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
SPREADSHEET_ROUTES = ("/api/v1/imports", "/api/v1/check-ins/bulk")
"""Routes whose body is a spreadsheet (CSV or XLSX, up to 5 MiB), not JSON."""
SPREADSHEET_TYPES = (CSV_TYPE, XLSX_TYPE)
PUBLIC_READS = ("/api/v1/log/checkpoint", "/api/v1/log/key", "/api/v1/log/proofs/")
"""The transparency log's checkpoints, key and proofs: they reveal hashes only, and
anyone may check the log with them, so they need no token."""


def guard_api_request() -> None:
    """Runs before every /api/v1 route, before its body is parsed: who is calling, may
    they write at all, and is the body JSON. Team-level permissions come later."""
    if not request.path.startswith("/api/"):
        return
    if request.method in ("GET", "HEAD") and request.path.startswith(PUBLIC_READS):
        return
    principal = current_principal()
    if request.method in WRITE_METHODS:
        if principal.role not in (ADMIN, EDITOR):
            raise Forbidden(f"{principal.name} ({principal.role}) may read, not write")
        if request.path in SPREADSHEET_ROUTES:
            request.max_content_length = MAX_BYTES
            if request.mimetype not in SPREADSHEET_TYPES:
                raise UnsupportedMediaType(" or ".join(SPREADSHEET_TYPES))
            return
        body = request.get_data(cache=True)
        if body and not request.is_json:
            raise UnsupportedMediaType()
        if body:
            parseable(body)


def parseable(body: bytes) -> None:
    """Refuse a body the JSON parser cannot read, including one nested so deep that it
    would exhaust the parser's recursion (a RecursionError, not a ValueError)."""
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedJson() from None


def current_principal() -> Principal:
    """The authenticated principal of this request; 401 without a valid token."""
    principal: Principal | None = g.get("principal")
    if principal is not None:
        return principal
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer <token>", field="Authorization")
    authenticator = current_app.extensions["okr_ledger"].authenticator
    principal = authenticator.principal_for(token.strip())
    if principal is None:
        raise Unauthenticated("the token is unknown or revoked", field="Authorization")
    g.principal = principal
    return principal
