"""Screenshots of every board page at 1280 and 390 pixels wide, for a person to look at.

    python -m bench.board_screenshots [--out DIR]

Serves the demo quarter on a free loopback port, signs in through the form in the
system chromium, and writes one full-page PNG per page and width into DIR (a new
temporary folder by default), printing each path.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.board.browser import chromium, serving, sign_in
from tests.board.support import CYCLE, TOKENS, FakeTransparencyLog, board_app, demo_board

PAGES = {
    "sign-in": "/board/sign-in",
    "cycles": "/board/cycles",
    "overview": f"/board/cycles/{CYCLE}",
    "time-travel": f"/board/cycles/{CYCLE}?as_of=2026-08-01T09:00&time=effective",
    "priorities": f"/board/cycles/{CYCLE}/priorities",
    "changes": f"/board/cycles/{CYCLE}/changes?from=2026-08-10T00:00&to=2026-08-14T00:00",
    "retrospective": f"/board/cycles/{CYCLE}/retrospective",
    "audit": "/board/audit",
    "integrity": "/board/integrity",
    "pack": f"/board/cycles/{CYCLE}/pack",
}
WIDTHS = (1280, 390)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="board-screenshots-"))
    out.mkdir(parents=True, exist_ok=True)
    services = demo_board()
    log = FakeTransparencyLog()
    log.sign(services.ledger.head_position())
    services.transparency = log  # type: ignore[attr-defined]
    with serving(board_app(services)) as base, chromium() as browser:
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/board/sign-in")
            page.screenshot(path=out / f"sign-in-{width}.png", full_page=True)
            sign_in(page, base, TOKENS["admin"])
            for name, path in PAGES.items():
                if name == "sign-in":
                    continue
                page.goto(base + path)
                target = out / f"{name}-{width}.png"
                page.screenshot(path=target, full_page=True)
                print(target)
            context.close()
    services.close()


if __name__ == "__main__":
    main()
