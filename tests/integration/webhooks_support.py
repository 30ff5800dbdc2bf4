"""What the delivery tests share: a receiver process on a loopback port, and a ledger
on an SQLite file with the app, an admin's token and a subscription."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook

from commands import messages as m
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock, Org, build_org, grant_token
from tests.e2e.conftest import ServicesSwitch
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "webhook-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Receiver:
    """A receiver process; ``received()`` reads what it logged (it survives restarts)."""

    log: Path
    port: int
    process: subprocess.Popen[str]

    @classmethod
    def start(cls, log: Path, port: int = 0, *, die_after: int = 0, status: int = 204) -> Receiver:
        args = [sys.executable, "-m", "tests.integration.webhook_receiver", str(port), str(log)]
        args += ["--die-after", str(die_after), "--status", str(status)]
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        bound = int(process.stdout.readline())  # it prints its port once it listens
        return cls(log, bound, process)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def received(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def wait_exit(self, timeout: float = 10.0) -> int:
        return self.process.wait(timeout)

    def restart(self, **options: Any) -> Receiver:
        self.stop()
        return Receiver.start(self.log, self.port, **options)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class Hooked:
    """A ledger with an org, an admin's token and the app serving it."""

    services: Services
    org: Org
    clock: FakeClock
    app: tuple[Any, ServicesSwitch]

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request by the admin, to this ledger's services."""
        client, switch = self.app
        switch.current = self.services
        return client.open(path, method=method, headers=AUTH, **kwargs)

    def subscribe(self, url: str, kinds: list[str], **body: Any) -> dict[str, Any]:
        response = self.request(
            "POST", "/api/v1/webhooks", json={"url": url, "kinds": kinds, **body}
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        answer: dict[str, Any] = response.get_json()
        return answer

    def decide(self, summary: str) -> None:
        self.org.do(
            m.RecordDecision(
                forum="Quarterly review",
                decided_by=("ana.chair",),
                decision_type="reprioritise",
                summary=summary,
                rationale="the board said so",
                cycle_id=self.org.cycle,
            )
        )


def shared_app() -> tuple[Any, ServicesSwitch]:
    """One app (its OpenAPI document takes a while to build) over switched services."""
    switch = ServicesSwitch()
    return create_app(switch, {"TESTING": True}).test_client(), switch


def hooked(path: Path | str, app: tuple[Any, ServicesSwitch], **settings: Any) -> Hooked:
    """On an SQLite file at ``path``, or on a database URL."""
    clock = FakeClock()
    options = {
        "webhook_allow_private": True,
        "webhook_timeout_seconds": 5.0,
        "webhook_backoff_seconds": 1.0,
        **settings,
    }
    url = path if isinstance(path, str) else f"sqlite:///{path}"
    services = bootstrap(Settings(database_url=url, **options), clock=clock)
    org = build_org(services.bus)
    grant_token(services.bus, TOKEN, "hook.admin")
    return Hooked(services, org, clock, app)


def verified(secret: str, request: dict[str, Any]) -> Any:
    """The payload of a logged request, after its signature is verified."""
    headers = {k: request[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    return Webhook(secret).verify(request["body"], headers)
