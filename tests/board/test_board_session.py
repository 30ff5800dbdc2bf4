"""Signing in and out of the board: the cookie's flags, cross-site forms refused, and
sessions that end with sign-out or with the principal's revocation."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from commands import messages as m
from okr_ledger.bootstrap import Services
from tests.board.support import (
    ORIGIN,
    TOKENS,
    board_app,
    csrf_of,
    demo_board,
    page_text,
    set_cookies,
    sign_in,
)
from tests.conftest import ADMIN_PRINCIPAL, grant_token
from web.board.session import CSRF_COOKIE, SESSION_COOKIE


def test_every_page_but_sign_in_redirects_to_sign_in_without_a_session(client: FlaskClient):
    response = client.get("/board/cycles/2026-Q3?time=effective")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/board/sign-in?next=")
    assert client.get("/board/sign-in").status_code == 200


def test_the_session_cookie_is_httponly_strict_and_holds_no_token(client: FlaskClient):
    response = sign_in(client)
    assert response.status_code == 303
    cookie = set_cookies(response)[SESSION_COOKIE]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/board/" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    assert TOKENS["admin"] not in cookie
    assert TOKENS["admin"] not in response.headers["Location"]


def test_the_session_cookie_is_secure_over_https(app: Flask):
    client = app.test_client()
    form = client.get("/board/sign-in", base_url="https://localhost")
    response = client.post(
        "/board/sign-in",
        base_url="https://localhost",
        data={"token": TOKENS["viewer"], "csrf_token": csrf_of(form)},
        headers={"Origin": "https://localhost"},
    )
    assert response.status_code == 303
    cookies = set_cookies(response)
    assert "; Secure" in cookies[SESSION_COOKIE]
    assert "; Secure" in cookies[CSRF_COOKIE]


def test_the_sign_in_form_sends_the_token_in_the_body_never_the_url(client: FlaskClient):
    html = page_text(client.get("/board/sign-in"))
    assert 'method="post"' in html
    assert 'type="password"' in html


def test_sign_in_from_another_site_is_refused(client: FlaskClient):
    form = client.get("/board/sign-in")
    data = {"token": TOKENS["admin"], "csrf_token": csrf_of(form)}
    for headers in ({"Origin": "https://evil.example"}, {}, {"Origin": "null"}):
        response = client.post("/board/sign-in", data=data, headers=headers)
        assert response.status_code == 403, headers
        assert SESSION_COOKIE not in set_cookies(response)


def test_sign_in_without_the_forms_own_token_is_refused(client: FlaskClient):
    client.get("/board/sign-in")
    for token in ("", "forged"):
        response = client.post(
            "/board/sign-in",
            data={"token": TOKENS["admin"], "csrf_token": token},
            headers={"Origin": ORIGIN},
        )
        assert response.status_code == 403
        assert "security token" in page_text(response)
        assert SESSION_COOKIE not in set_cookies(response)


def test_an_unknown_token_is_told_and_starts_no_session(client: FlaskClient):
    form = client.get("/board/sign-in")
    response = client.post(
        "/board/sign-in",
        data={"token": "okr_not-a-token", "csrf_token": csrf_of(form)},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 401
    assert "unknown or revoked" in page_text(response)
    assert SESSION_COOKIE not in set_cookies(response)


def test_sign_in_goes_back_only_to_a_board_page(client: FlaskClient):
    form = client.get("/board/sign-in")
    response = client.post(
        "/board/sign-in",
        data={
            "token": TOKENS["admin"],
            "csrf_token": csrf_of(form),
            "next": "//evil.example/board/",
        },
        headers={"Origin": ORIGIN},
    )
    assert response.headers["Location"] == "/board/cycles"


def test_a_forged_session_cookie_is_no_session(client: FlaskClient):
    client.set_cookie(SESSION_COOKIE, "eyJ0IjoiYWJjIn0.forged.signature", path="/board/")
    assert client.get("/board/cycles").status_code == 303


def test_sign_out_ends_the_session(admin: FlaskClient):
    page = admin.get("/board/cycles")
    assert page.status_code == 200
    response = admin.post(
        "/board/sign-out", data={"csrf_token": csrf_of(page)}, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 303
    assert "Max-Age=0" in set_cookies(response)[SESSION_COOKIE]
    assert admin.get("/board/cycles").status_code == 303


def test_a_copy_of_the_cookie_taken_before_sign_out_stops_working(admin: FlaskClient):
    page = admin.get("/board/cycles")
    copied = admin.get_cookie(SESSION_COOKIE, path="/board/")
    assert copied is not None
    admin.post("/board/sign-out", data={"csrf_token": csrf_of(page)}, headers={"Origin": ORIGIN})
    admin.set_cookie(SESSION_COOKIE, copied.value, path="/board/")
    assert admin.get("/board/cycles").status_code == 303


def test_sign_out_from_another_site_is_refused(admin: FlaskClient):
    page = admin.get("/board/cycles")
    response = admin.post(
        "/board/sign-out",
        data={"csrf_token": csrf_of(page)},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert admin.get("/board/cycles").status_code == 200


def test_revoking_the_principal_ends_its_board_sessions():
    services: Services = demo_board()
    try:
        grant_token(services.bus, "soon-revoked", name="rex.board", role="viewer")
        client = board_app(services).test_client()
        form = client.get("/board/sign-in")
        client.post(
            "/board/sign-in",
            data={"token": "soon-revoked", "csrf_token": csrf_of(form)},
            headers={"Origin": ORIGIN},
        )
        assert client.get("/board/cycles").status_code == 200
        principal = services.authenticator.principal_for("soon-revoked")
        assert principal is not None
        services.bus.handle(m.RevokePrincipal(principal_id=principal.id), ADMIN_PRINCIPAL)
        assert client.get("/board/cycles").status_code == 303
    finally:
        services.close()
