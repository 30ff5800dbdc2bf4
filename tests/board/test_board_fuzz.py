"""No query string or path makes a board page fail with a 500: bad input gets a page
naming the field (422) or says what was not found (404)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.board.support import CYCLE, sign_in

PARAMS = ("as_of", "time", "team", "from", "to", "after", "cycle", "decision", "type", "actor")
PATHS = (
    "/board/cycles/{c}",
    "/board/cycles/{c}/priorities",
    "/board/cycles/{c}/changes",
    "/board/cycles/{c}/retrospective",
    "/board/cycles/{c}/pack",
    "/board/cycles/{c}/retrospective/key-results/{c}/chart.svg",
    "/board/audit",
    "/board/audit/export.csv",
)
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "2026-08-01T00:00",
            "2026-08-01T00:00:00+14:00",
            "0001-01-01T00:00",
            "9999-12-31T23:59",
            "0001-01-01T00:00+14:00",
            "9999-12-31T23:59-14:00",
            "1e400",
            "recorded",
            "effective",
            "-1",
            "99999999999999999999",
            CYCLE,
            "contact-centre",
            "\x00",
        ]
    ),
)


@pytest.fixture(scope="module")
def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client)
    return client


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(PATHS),
    cycle=st.one_of(st.just(CYCLE), st.text(min_size=1, max_size=20)),
    query=st.dictionaries(st.sampled_from(PARAMS), TEXT, max_size=4),
)
def test_no_input_makes_a_board_page_fail(
    signed_in: FlaskClient, path: str, cycle: str, query: dict
):
    client = signed_in
    url = path.format(c=quote(cycle, safe="")) + "?" + urlencode(query)
    response = client.get(url)
    assert response.status_code in (200, 303, 308, 404, 422), (url, response.status_code)


@settings(max_examples=60, deadline=None)
@given(
    form=st.dictionaries(
        st.sampled_from(("token", "csrf_token", "next")), st.text(max_size=40), max_size=3
    ),
    origin=st.one_of(
        st.none(),
        st.just("http://localhost"),
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
    ),
)
def test_no_sign_in_form_makes_the_board_fail(app: Flask, form: dict, origin: str | None):
    client = app.test_client()
    client.get("/board/sign-in")
    headers = {} if origin is None else {"Origin": origin}
    response = client.post("/board/sign-in", data=form, headers=headers)
    assert response.status_code in (303, 401, 403), response.status_code
