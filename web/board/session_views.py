"""The sign-in and sign-out forms."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for

from web.board import bp
from web.board.session import check_same_site, end_session, start_session


def safe_next(target: str | None) -> str:
    """Only a path of the board itself: never another site (an open redirect)."""
    if target and target.startswith("/board/") and not target.startswith("//"):
        return target
    return url_for("board.cycles")


@bp.get("/sign-in")
def sign_in_form() -> Any:
    return render_template("board/sign_in.html", next=safe_next(request.args.get("next")))


@bp.post("/sign-in")
def sign_in() -> Any:
    check_same_site(request)
    token = request.form.get("token", "").strip()
    target = safe_next(request.form.get("next"))
    authenticator = current_app.extensions["okr_ledger"].authenticator
    if not token or authenticator.principal_for(token) is None:
        message = "Enter an API token." if not token else "That token is unknown or revoked."
        body = render_template("board/sign_in.html", next=target, error=message)
        return body, 401
    response = redirect(target, 303)
    start_session(response, token)
    return response


@bp.post("/sign-out")
def sign_out() -> Any:
    check_same_site(request)
    response = redirect(url_for("board.sign_in_form"), 303)
    end_session(response)
    return response
