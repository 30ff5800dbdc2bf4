"""The board's pages over the demo quarter, through Flask's test client: what they say,
who sees what, the security headers, and escaping."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from commands import messages as m
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.board.support import (
    CYCLE,
    TOKENS,
    FakeTransparencyLog,
    board_app,
    page_text,
    sign_in,
)
from tests.conftest import Org, build_org, grant_token
from web.board import pages

PAGES = [
    "/board/cycles",
    f"/board/cycles/{CYCLE}",
    f"/board/cycles/{CYCLE}?as_of=2026-08-01T00:00&time=effective",
    f"/board/cycles/{CYCLE}/priorities",
    f"/board/cycles/{CYCLE}/changes?from=2026-08-01T00:00&to=2026-08-20T00:00",
    f"/board/cycles/{CYCLE}/retrospective",
    "/board/audit",
    "/board/integrity",
    f"/board/cycles/{CYCLE}/pack",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_in_english_with_a_skip_link_and_the_security_headers(
    admin: FlaskClient, path: str
):
    response = admin.get(path)
    assert response.status_code == 200
    html = page_text(response)
    assert '<html lang="en">' in html
    assert 'href="#main"' in html
    assert 'id="main"' in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", PAGES)
def test_no_page_carries_inline_script_or_style(admin: FlaskClient, path: str):
    html = page_text(admin.get(path))
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"\sstyle=", html) == []
    assert re.findall(r"<style", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []


@pytest.mark.parametrize("path", PAGES)
def test_every_table_has_a_caption_and_scoped_headers(admin: FlaskClient, path: str):
    html = page_text(admin.get(path))
    tables = html.count("<table")
    assert html.count("<caption") == tables
    assert re.findall(r"<th(?![^>]*scope=)[\s>]", html) == []


def test_an_objective_statement_is_rendered_as_text_not_markup():
    services = bootstrap(Settings(database_url="memory://"))
    try:
        org = build_org(services.bus)
        org.objective("<script>alert(1)</script> in order to <b>test</b>")
        grant_token(services.bus, TOKENS["admin"], name="admin.board")
        services.read_models.catch_up()
        client = board_app(services).test_client()
        sign_in(client)
        html = page_text(client.get("/board/cycles/2026-Q3"))
    finally:
        services.close()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; in order to &lt;b&gt;test&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html
    assert "<b>test</b>" not in html


def test_the_overview_names_the_instant_and_the_kind_of_time(admin: FlaskClient):
    now = page_text(admin.get(f"/board/cycles/{CYCLE}"))
    assert "Showing the OKR set <strong>now</strong>" in now
    recorded = page_text(admin.get(f"/board/cycles/{CYCLE}?as_of=2026-08-01T00:00"))
    assert "as the ledger knew it at" in recorded
    assert '<time datetime="2026-08-01T00:00:00Z">1 Aug 2026, 00:00 UTC</time>' in recorded
    assert "recorded time" in recorded
    effective = page_text(
        admin.get(f"/board/cycles/{CYCLE}?as_of=2026-08-01T00:00Z&time=effective")
    )
    assert "as it was true at" in effective
    assert "effective time" in effective
    assert 'value="2026-08-01T00:00"' in effective


def ranking_of(html: str, team: str) -> list[str]:
    table = html.split(f'data-team="{team}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">([^<]+)</th>', table)


def test_time_travel_shows_the_ranking_then(admin: FlaskClient):
    before = ranking_of(
        page_text(admin.get(f"/board/cycles/{CYCLE}?as_of=2026-08-01T00:00")),
        "digital-services",
    )
    after = ranking_of(page_text(admin.get(f"/board/cycles/{CYCLE}")), "digital-services")
    assert before[0] == "Launch a new website"
    assert after[1] == "Launch a new website"
    assert sorted(before) == sorted(after)


@pytest.mark.parametrize(
    ("query", "field"),
    [("as_of=yesterday", "as_of"), ("as_of=2026-13-01T00:00", "as_of"), ("time=later", "time")],
)
def test_a_bad_instant_or_kind_of_time_is_a_422_page_naming_the_field(
    admin: FlaskClient, query: str, field: str
):
    response = admin.get(f"/board/cycles/{CYCLE}?{query}")
    assert response.status_code == 422
    assert f"<strong>{field}</strong>" in page_text(response)


def test_an_unknown_cycle_is_a_404_page(admin: FlaskClient):
    response = admin.get("/board/cycles/1999-Q1/priorities")
    assert response.status_code == 404
    assert "text/html" in response.content_type


def test_changes_between_two_dates_name_who_why_and_link_the_decision(admin: FlaskClient):
    html = page_text(
        admin.get(f"/board/cycles/{CYCLE}/changes?from=2026-08-12T00:00&to=2026-08-13T00:00")
    )
    assert "Key result target eased" in html
    assert "Contractor short of two plumbers until October" in html
    assert "grace.obi" in html
    assert re.search(r'href="/board/audit\?decision=[0-9a-f-]{36}"', html)
    later = admin.get(f"/board/cycles/{CYCLE}/changes?from=2026-08-13T00:00&to=2026-08-12T00:00")
    assert later.status_code == 422


def test_changes_come_a_page_at_a_time_with_links_to_the_next_and_previous(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(pages, "CHANGES_AT_ONCE", 3)
    window = "from=2026-08-03T00:00&to=2026-08-21T00:00"
    first = page_text(admin.get(f"/board/cycles/{CYCLE}/changes?{window}"))
    second = page_text(admin.get(f"/board/cycles/{CYCLE}/changes?{window}&page=2"))
    bad = admin.get(f"/board/cycles/{CYCLE}/changes?{window}&page=0")

    total = int(re.search(r"(\d+) named changes", first).group(1))  # type: ignore[union-attr]
    assert total > 6
    assert "this page lists changes 1 to 3" in first
    assert "this page lists changes 4 to 6" in second
    assert first.count('<th scope="row">') == second.count('<th scope="row">') == 3
    assert (
        f'href="/board/cycles/{CYCLE}/changes?page=2&amp;from=2026-08-03T00:00'
        '&amp;to=2026-08-21T00:00" rel="next"' in first
    )
    assert 'rel="prev"' not in first
    assert f'href="/board/cycles/{CYCLE}/changes?page=1&amp;' in second
    assert bad.status_code == 422


def test_priority_history_shows_who_why_and_the_decision(admin: FlaskClient):
    html = page_text(admin.get(f"/board/cycles/{CYCLE}/priorities"))
    assert "Self-service first, as agreed at the quarterly performance review" in html
    assert "Quarterly performance review" in html
    assert "tom.reid" in html


def test_every_retrospective_chart_has_a_text_alternative(admin: FlaskClient):
    html = page_text(admin.get(f"/board/cycles/{CYCLE}/retrospective"))
    images = re.findall(r"<img [^>]*>", html)
    assert images
    for image in images:
        assert re.search(r'alt="[^"]{20,}"', image), image
    assert html.count("<details>") == len(images)
    chart = re.search(r'src="([^"]+chart.svg)"', html)
    assert chart
    svg = admin.get(chart.group(1))
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"


def test_viewers_see_no_reasons_in_the_audit_trail_and_auditors_do(app):
    reason = "value was typed in hours, not minutes"
    shown = {}
    for role in ("viewer", "auditor"):
        client = app.test_client()
        sign_in(client, role)
        page = page_text(client.get("/board/audit?type=KeyResult.CheckInCorrected"))
        export = page_text(client.get("/board/audit/export.csv?type=KeyResult.CheckInCorrected"))
        shown[role] = (reason in page, reason in export, "reason" in export.splitlines()[0])
    assert shown["viewer"] == (False, False, False)
    assert shown["auditor"] == (True, True, True)


def test_the_audit_trail_pages_through_every_event_and_downloads_them(admin: FlaskClient):
    first = page_text(admin.get("/board/audit?cycle=2026-Q3"))
    following = re.search(r'href="/board/audit\?after=(\d+)[^"]*"', first)
    assert following
    second = page_text(admin.get(f"/board/audit?after={following.group(1)}&cycle=2026-Q3"))
    positions = [int(p) for p in re.findall(r"<tr>\s*<td>(\d+)</td>", second)]
    assert positions
    assert min(positions) > int(following.group(1))
    rows = list(csv.DictReader(io.StringIO(page_text(admin.get("/board/audit/export.csv")))))
    assert len(rows) > 300
    assert [int(r["position"]) for r in rows] == sorted(int(r["position"]) for r in rows)
    jsonl = admin.get("/board/audit/export.jsonl?actor=tom.reid")
    assert jsonl.mimetype == "application/x-ndjson"
    assert all('"tom.reid"' in line for line in page_text(jsonl).splitlines())
    assert admin.get("/board/audit?decision=not-a-uuid").status_code == 422


def test_without_a_transparency_log_the_pages_say_no_signed_checkpoint_yet(
    admin: FlaskClient,
):
    assert "No signed checkpoint yet" in page_text(admin.get("/board/integrity"))
    assert "No signed checkpoint yet" in page_text(admin.get(f"/board/cycles/{CYCLE}/pack"))


def test_the_pack_cover_and_the_integrity_page_name_the_signed_checkpoint(
    board_services: Services, admin: FlaskClient
):
    log = FakeTransparencyLog()
    checkpoint = log.sign(412)
    board_services.transparency = log  # type: ignore[attr-defined]
    try:
        pack = page_text(admin.get(f"/board/cycles/{CYCLE}/pack"))
        integrity = page_text(admin.get("/board/integrity"))
    finally:
        del board_services.transparency  # type: ignore[attr-defined]
    cover = pack.split('class="page-break"', 1)[0]
    for html in (cover, integrity):
        assert "412 entries" in html
        assert checkpoint.root_hash.hex() in html
        assert "okr-ledger.example/log Az3gSIGNATURE0000==" in html
    assert "/api/v1/log/proofs/consistency?from=412" in integrity
    assert "/api/v1/log/checkpoint?size=412" in integrity
    assert log.verifier_key() in integrity


@pytest.fixture
def large_org() -> Iterator[tuple[Services, Org]]:
    """The test organisation with 12 more teams (more than a page shows at once)."""
    services = bootstrap(Settings(database_url="memory://"))
    try:
        org = build_org(services.bus)
        for n in range(12):
            org.do(
                m.FormTeam(key=f"team-{n}", name=f"Team {n}", level="team", parent_id=org.function)
            )
        grant_token(services.bus, TOKENS["admin"], name="admin.board")
        yield services, org
    finally:
        services.close()


def signed_in_board(services: Services) -> FlaskClient:
    services.read_models.catch_up()
    client = board_app(services).test_client()
    sign_in(client)
    return client


def test_a_large_organisation_opens_its_cycle_on_a_team_picker(
    large_org: tuple[Services, Org],
):
    services, org = large_org
    org.objective("Make renewals effortless so residents stay")
    client = signed_in_board(services)
    picker = page_text(client.get("/board/cycles/2026-Q3?as_of=2026-08-01T00:00"))
    team = page_text(client.get("/board/cycles/2026-Q3?team=contact"))

    assert "Choose a team" in picker
    assert "Make renewals effortless" not in picker
    assert (
        'href="/board/cycles/2026-Q3?team=team-11&amp;as_of=2026-08-01T00:00&amp;time=recorded"'
        in picker
    )
    assert "Make renewals effortless so residents stay" in team
    assert '<option value="team-11"' in team


def test_a_large_organisation_reviews_packs_and_ranks_its_cycle_one_team_at_a_time(
    large_org: tuple[Services, Org],
):
    services, org = large_org
    ours = org.objective("Make renewals effortless so residents stay")
    org.key_result(ours, "Lift renewals from 40 to 60")
    theirs = org.objective("Answer every caller on the first try", team=org.other_team)
    org.key_result(theirs, "Cut repeat calls from 30 to 10")
    client = signed_in_board(services)
    found = {
        name: (
            page_text(client.get(f"/board/cycles/2026-Q3/{name}")),
            page_text(client.get(f"/board/cycles/2026-Q3/{name}?team=contact")),
        )
        for name in ("retrospective", "pack", "priorities")
    }
    unknown = client.get("/board/cycles/2026-Q3/retrospective?team=nobody")

    for name, (picker, team) in found.items():
        assert "Choose a team" in picker, name
        assert "Make renewals effortless" not in picker, name
        assert f'href="/board/cycles/2026-Q3/{name}?team=team-11"' in picker, name
        assert "Make renewals effortless so residents stay" in team, name
        assert "Answer every caller on the first try" not in team, name
    for name in ("retrospective", "pack"):
        assert "Lift renewals from 40 to 60" in found[name][1], name
        assert "Cut repeat calls from 30 to 10" not in found[name][1], name
    assert unknown.status_code == 404


def test_the_pack_names_the_checkpoint_signed_at_the_position_it_was_computed_from(
    board_services: Services, admin: FlaskClient
):
    position = board_services.read_models.position()
    log = FakeTransparencyLog()
    log.sign(position)
    log.sign(position + 50)
    board_services.transparency = log  # type: ignore[attr-defined]
    try:
        cover = page_text(admin.get(f"/board/cycles/{CYCLE}/pack")).split('class="page-break"')[0]
    finally:
        del board_services.transparency  # type: ignore[attr-defined]
    assert f"{position} entries" in cover
    assert f"{position + 50} entries" not in cover
