"""Screenshots of every board page at 1280 and 390 pixels wide, for a person to look at.

    python -m bench.board_screenshots [--out DIR]

Serves the demo quarter on a free loopback port, signs in through the form in the
system chromium, and writes one full-page PNG per page and width into DIR (a new
temporary folder by default), printing each path.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from commands import messages as m
from commands.principals import ADMIN, Principal
from ledger.principal import token_hash
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from web import create_app

CYCLE = demo.CYCLE_KEY
TOKEN = "board-screenshots-admin-token"
CHROMIUM = os.environ.get("OKR_LEDGER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PAGES = {
    "sign-in": "/board/sign-in",
    "cycles": "/board/cycles",
    "overview": f"/board/cycles/{CYCLE}",
    "time-travel": f"/board/cycles/{CYCLE}?as_of=2026-08-01T09:00&time=effective",
    "priorities": f"/board/cycles/{CYCLE}/priorities",
    "changes": f"/board/cycles/{CYCLE}/changes?from=2026-08-10T00:00&to=2026-08-14T00:00",
    "retrospective": f"/board/cycles/{CYCLE}/retrospective",
    "retrospective-one-team": f"/board/cycles/{CYCLE}/retrospective?team=housing-repairs",
    "audit": "/board/audit",
    "integrity": "/board/integrity",
    "pack": f"/board/cycles/{CYCLE}/pack",
    "pack-one-team": f"/board/cycles/{CYCLE}/pack?team=housing-repairs",
}
WIDTHS = (1280, 390)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="board-screenshots-"))
    out.mkdir(parents=True, exist_ok=True)
    services = demo_quarter()
    with serving(create_app(services)) as base, chromium() as browser:
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/board/sign-in")
            page.screenshot(path=out / f"sign-in-{width}.png", full_page=True)
            sign_in(page, base, TOKEN)
            for name, path in PAGES.items():
                if name == "sign-in":
                    continue
                page.goto(base + path)
                target = out / f"{name}-{width}.png"
                page.screenshot(path=target, full_page=True)
                print(target)
            context.close()
    services.close()


def demo_quarter() -> Services:
    """The demo quarter on a memory store, an admin with ``TOKEN``, the read models
    caught up and a signed checkpoint of the whole log."""
    services = bootstrap(Settings(database_url="memory://"))
    demo.load(services)
    root = Principal("screenshots", ADMIN)
    grant = m.AddPrincipal(name="admin.board", role=ADMIN, token_hash=token_hash(TOKEN))
    services.bus.handle(grant, root)
    services.read_models.catch_up()
    services.transparency.build_tree()
    services.transparency.checkpoint_now()
    return services


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a free loopback port for as long as the block runs; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@contextmanager
def chromium() -> Iterator[Any]:
    """The system's chromium, driven by Playwright (nothing is downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/board/sign-in")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/board/cycles")


if __name__ == "__main__":
    main()
