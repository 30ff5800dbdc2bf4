"""Bearer-token authentication for every API route."""

from __future__ import annotations

from flask import current_app, g, request

from commands.principals import Principal
from web.errors import Unauthenticated


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
