"""The board in a real browser (chromium): sign in, open every page with no console
error and no serious or critical axe-core violation, move the time-travel picker,
download the CSV, print the board pack, and move by keyboard with visible focus."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.board.browser import chromium, chromium_missing, serving, sign_in
from tests.board.support import CYCLE, TOKENS

pytestmark = pytest.mark.browser

MISSING = chromium_missing()
if MISSING and os.environ.get("CI") != "true":
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)

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
    "/board/sign-in",
]


@pytest.fixture(scope="module")
def base(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Any, base: str) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    sign_in(page, base, TOKENS["admin"])
    yield page
    context.close()


def test_signing_in_through_the_form_opens_the_cycles(page: Any):
    assert page.get_by_role("heading", level=1).inner_text() == "Cycles"
    assert page.get_by_text("Signed in as").is_visible()
    assert page.problems == []


def test_every_page_opens_without_console_errors_or_serious_axe_violations(page: Any, base: str):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}
    for path in PAGES:
        response = page.goto(base + path)
        assert response.status == 200, path
        violations = axe.run(page).response["violations"]
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[path] = serious
    assert found == {}
    assert page.problems == []


def first_ranked(page: Any, team: str) -> str:
    return page.locator(f'table[data-team="{team}"] tbody tr').first.locator("th").inner_text()


def test_moving_the_time_travel_picker_changes_the_ranking(page: Any, base: str):
    page.goto(f"{base}/board/cycles/{CYCLE}")
    now = first_ranked(page, "digital-services")
    page.get_by_label("Instant (UTC)").fill("2026-08-01T09:00")
    page.get_by_label("Effective: what was true then").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**as_of=2026-08-01T09%3A00**")
    then = first_ranked(page, "digital-services")
    assert now != then
    assert then == "Launch a new website"
    assert "as it was true at 1 Aug 2026, 09:00 UTC" in page.locator("#instant").inner_text()
    assert page.problems == []


def test_the_audit_trail_downloads_as_csv(page: Any, base: str):
    page.goto(f"{base}/board/audit?cycle={CYCLE}")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    assert header.startswith("position,leaf_index,event_type,")
    assert len(rows) > 300
    assert download.value.suggested_filename == "audit.csv"


def test_the_board_pack_prints_to_pdf_without_the_site_chrome(page: Any, base: str):
    page.goto(f"{base}/board/cycles/{CYCLE}/pack")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("button", name="Print or save as PDF").is_visible()
    assert page.get_by_role("heading", name="Board pack: Q3 2026").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 4  # the cover, then ranking, key results, history, retrospective


def test_the_skip_link_is_the_first_stop_and_focus_is_visible(page: Any, base: str):
    page.goto(f"{base}/board/cycles")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.textContent.trim(), s.outlineStyle, s.outlineWidth,"
        " e.getBoundingClientRect().left >= 0]; }"
    )
    assert focused == ["Skip to main content", "solid", "3px", True]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
