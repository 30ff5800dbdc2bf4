"""The board under test: the demo quarter with a principal of each role, an app over
it, a fake transparency log, and a test client that signs in through the form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commands.auth import Authenticator
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import grant_token
from web import create_app

TOKENS = {
    "admin": "board-admin-token",
    "auditor": "board-auditor-token",
    "viewer": "board-viewer-token",
}
ORIGIN = "http://localhost"
CYCLE = demo.CYCLE_KEY


def demo_board() -> Services:
    """The demo quarter, a principal per role, the read models caught up, and an
    authenticator that re-reads the ledger on every request (no caching window)."""
    services = bootstrap(Settings(database_url="memory://"))
    demo.load(services)
    for role, token in TOKENS.items():
        grant_token(services.bus, token, name=f"{role}.board", role=role)
    services.authenticator = Authenticator(services.ledger, ttl=0)
    services.read_models.catch_up()
    return services


def board_app(services: Services) -> Flask:
    return create_app(services, {"TESTING": True})


def csrf_of(response: TestResponse) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, role: str = "admin", **headers: str) -> TestResponse:
    form = client.get("/board/sign-in")
    return client.post(
        "/board/sign-in",
        data={"token": TOKENS[role], "csrf_token": csrf_of(form), "next": "/board/cycles"},
        headers={"Origin": ORIGIN, **headers},
    )


@dataclass
class SignedCheckpoint:
    origin: str
    size: int
    root_hash: bytes
    note: str
    issued_at: datetime


@dataclass
class FakeTransparencyLog:
    """Stands in for the transparency log: the interface the board reads."""

    checkpoints: list[SignedCheckpoint] = field(default_factory=list)

    def sign(self, size: int) -> SignedCheckpoint:
        root = bytes(range(size % 200, size % 200 + 32))
        note = (
            f"okr-ledger.example/log\n{size}\n{root.hex()}\n\n"
            "\u2014 okr-ledger.example/log Az3gSIGNATURE0000==\n"
        )
        checkpoint = SignedCheckpoint(
            "okr-ledger.example/log", size, root, note, datetime(2026, 10, 1, 9, tzinfo=UTC)
        )
        self.checkpoints.append(checkpoint)
        return checkpoint

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None

    def checkpoint_at(self, size: int) -> SignedCheckpoint | None:
        return next((c for c in self.checkpoints if c.size == size), None)

    def verifier_key(self) -> str:
        return "okr-ledger.example/log+1234abcd+AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="


def page_text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def set_cookies(response: TestResponse) -> dict[str, str]:
    """Each Set-Cookie header by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}
