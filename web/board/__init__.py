"""The board view: server-rendered pages under ``/board/`` for the people who read the
ledger rather than call it (boards, auditors). The pages render the same read models as
the API, need a signed-in session (an API token traded for a cookie), and are served
with a strict Content-Security-Policy: no inline script or style, nothing from
elsewhere, never framed. Plain Flask: the pages are not part of the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ledger.exceptions import LedgerError
from web.board import filters
from web.board.session import CrossSiteRequest, csrf_token, keep_csrf_cookie, signed_in_principal
from web.errors import status_of

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
OPEN_ENDPOINTS = {"board.static", "board.sign_in", "board.sign_in_form"}

bp = Blueprint(
    "board",
    __name__,
    url_prefix="/board",
    template_folder="templates",
    static_folder="static",
)


class BoardError(Exception):
    """A request the board cannot answer, shown as a page naming the field or rule."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@bp.before_request
def require_session() -> Any:
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if signed_in_principal() is None:
        return redirect(url_for("board.sign_in_form", next=request.full_path.rstrip("?")), 303)
    return None


@bp.after_request
def secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if request.endpoint != "board.static":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Cookie"
    keep_csrf_cookie(response)
    return response


@bp.app_template_global()
def principal() -> Any:
    return signed_in_principal()


@bp.app_template_global()
def uid(prefix: str = "t") -> str:
    """An id unique within the page being rendered (tables label their scroll boxes)."""
    count = g.get("board_ids", 0) + 1
    g.board_ids = count
    return f"{prefix}{count}"


@bp.app_template_global("csrf_token")
def _csrf_token() -> str:
    return csrf_token()


def error_page(status: int, code: str, message: str, field: str | None = None) -> Any:
    body = render_template(
        "board/error.html", status=status, code=code, message=message, field=field
    )
    return body, status


@bp.errorhandler(BoardError)
def board_error(error: BoardError) -> Any:
    return error_page(error.status, error.code, error.message, error.field)


@bp.errorhandler(CrossSiteRequest)
def cross_site(error: CrossSiteRequest) -> Any:
    return error_page(403, "cross_site_request", str(error))


@bp.errorhandler(LedgerError)
def ledger_error(error: LedgerError) -> Any:
    return error_page(status_of(error), error.rule, error.message, error.field)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Any:
    code = (error.name or "error").lower().replace(" ", "_")
    return error_page(error.code or 500, code, error.description or error.name)


def register(app: Flask) -> None:
    """Mount the board on an app (called by ``web.create_app``)."""
    from web.board import audit, pages, session_views  # noqa: F401  (routes)

    app.jinja_env.filters.update(filters.FILTERS)
    app.register_blueprint(bp)
