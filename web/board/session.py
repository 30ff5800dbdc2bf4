"""Signing in to the board with an API token, into a signed session cookie.

The cookie holds the token's SHA-256 hash (never the token), a session id and the time
it was issued, signed with the secret key (``OKR_LEDGER_SECRET_KEY``, or a generated key
file). Each request resolves the hash to its principal again, so revoking the principal
ends every session at once. Signing out records the session id as ended (in the table
``board_ended_sessions`` beside the read models, shared by every worker), so a copy of
the cookie taken before stops working too. Sign-in and sign-out are POST forms guarded
twice against cross-site requests: a double-submit token (a SameSite=Strict cookie that
the form must repeat) and the ``Origin`` (or ``Referer``) header, which must name this
site.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from commands.principals import Principal
from ledger.principal import token_hash

SESSION_COOKIE = "okr_board_session"
CSRF_COOKIE = "okr_board_csrf"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE = 8 * 3600
"""A session lasts a working day at most; signing in again starts a new one."""
KEY_FILE_SUFFIX = ".secret-key"


class CrossSiteRequest(Exception):
    """A form post that did not come from this site's own page."""


def secret_key(app: Flask) -> str:
    """The key that signs session cookies, found once per app."""
    key: str | None = app.extensions.get("okr_board_secret")
    if key:
        return key
    services = app.extensions["okr_ledger"]
    settings = services.settings
    key = settings.secret_key or _key_from_file(settings.database_url)
    app.extensions["okr_board_secret"] = key
    return key


def _key_from_file(database_url: str) -> str:
    """A key kept in a file (created on first use, readable by its owner only), so every
    worker process of one deployment signs alike; ``memory://`` gets a per-process key."""
    if database_url.startswith("memory:"):
        return secrets.token_urlsafe(32)
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///").split("?")[0] + KEY_FILE_SUFFIX)
    else:
        path = Path("okr-ledger" + KEY_FILE_SUFFIX)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        key = secrets.token_urlsafe(32)
        out.write(key)
    return key


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(current_app), salt="okr-ledger-board-session")


def session_cookie_for(token: str) -> str:
    return _serializer().dumps({"t": token_hash(token), "sid": secrets.token_urlsafe(16)})


def signed_in_principal() -> Principal | None:
    """The principal of this request's session, re-resolved from the ledger."""
    if "board_principal" in g:
        principal: Principal | None = g.board_principal
        return principal
    principal = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            payload: Any = _serializer().loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            payload = None
        if (
            isinstance(payload, dict)
            and isinstance(payload.get("t"), str)
            and not session_ended(str(payload.get("sid")))
        ):
            authenticator = current_app.extensions["okr_ledger"].authenticator
            principal = authenticator.principal_for_hash(payload["t"])
    g.board_principal = principal
    return principal


def set_cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/board/",
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )


def start_session(response: Response, token: str) -> None:
    set_cookie(response, SESSION_COOKIE, session_cookie_for(token), SESSION_MAX_AGE)
    # a fresh CSRF token for the signed-in forms (no fixation across sign-in)
    set_cookie(response, CSRF_COOKIE, secrets.token_urlsafe(32), None)


ENDED = "board_ended_sessions"


def _ended_table(cursor: Any) -> None:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {ENDED} (sid TEXT PRIMARY KEY, ended_at BIGINT NOT NULL)"
    )


def session_ended(sid: str) -> bool:
    store = current_app.extensions["okr_ledger"].read_models.store
    with store.transaction() as cursor:
        _ended_table(cursor)
        row = cursor.execute(f"SELECT 1 AS ended FROM {ENDED} WHERE sid = %s", (sid,)).fetchone()
    return row is not None


def _record_ended(cookie: str | None) -> None:
    """Mark the signed-in session of ``cookie`` (if it is a valid one) as ended."""
    if not cookie:
        return
    try:
        payload: Any = _serializer().loads(cookie, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return
    if not isinstance(payload, dict) or not isinstance(payload.get("sid"), str):
        return
    store = current_app.extensions["okr_ledger"].read_models.store
    with store.transaction() as cursor:
        _ended_table(cursor)
        cursor.execute(
            f"INSERT INTO {ENDED} (sid, ended_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (payload["sid"], int(time.time())),
        )


def end_session(response: Response) -> None:
    _record_ended(request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/board/", samesite="Strict", httponly=True)
    response.delete_cookie(CSRF_COOKIE, path="/board/", samesite="Strict", httponly=True)


def csrf_token() -> str:
    """The token the forms of this page carry: the CSRF cookie's value, made if absent."""
    token: str | None = g.get("board_csrf")
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        g.board_csrf = token
    return token


def keep_csrf_cookie(response: Response) -> None:
    """Send the CSRF cookie when this page made a new token."""
    token = g.get("board_csrf")
    if token and token != request.cookies.get(CSRF_COOKIE):
        set_cookie(response, CSRF_COOKIE, token, None)


def check_same_site(req: Request) -> None:
    """Refuse a form post that does not come from one of this site's pages."""
    origin = req.headers.get("Origin") or req.headers.get("Referer")
    if not origin or origin == "null":
        raise CrossSiteRequest("the form was not sent from this site (no Origin)")
    parts = urlsplit(origin)
    if f"{parts.scheme}://{parts.netloc}" != f"{req.scheme}://{req.host}":
        raise CrossSiteRequest("the form was sent from another site")
    cookie = req.cookies.get(CSRF_COOKIE, "")
    sent = req.form.get(CSRF_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CrossSiteRequest("the form's security token does not match; reload the page")
