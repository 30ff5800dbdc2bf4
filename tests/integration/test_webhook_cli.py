"""``okr-ledger deliver`` and the embedded default's projection process, against a real
receiver on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from okr_ledger.cli import main
from tests.e2e.conftest import ServicesSwitch
from tests.integration.webhooks_support import ROOT, Hooked, Receiver, hooked, shared_app, verified

PRIVATE_OK = {"OKR_LEDGER_WEBHOOK_ALLOW_PRIVATE": "1"}


@pytest.fixture(scope="module")
def app() -> tuple[Any, ServicesSwitch]:
    return shared_app()


@pytest.fixture
def hook(tmp_path: Path, app: tuple[Any, ServicesSwitch]) -> Iterator[Hooked]:
    made = hooked(tmp_path / "ledger.sqlite", app)
    yield made
    made.services.close()


def deliver(hook: Hooked, *args: str, code: int = 0, **env: str) -> str:
    url = hook.services.settings.database_url
    result = CliRunner().invoke(
        main, ["--database-url", url, "deliver", *args], env={**PRIVATE_OK, **env}
    )
    assert result.exit_code == code, result.output
    return result.output


def test_deliver_once_sends_lists_dead_letters_and_replays_them(
    hook: Hooked, tmp_path: Path
) -> None:
    receiver = Receiver.start(tmp_path / "received.jsonl", status=503)
    try:
        subscription = hook.subscribe(receiver.url, ["decision_recorded"])
        hook.decide("tell the teams")
        assert "lag" in deliver(hook, "--status", "--max-lag", "0", code=1)
        one_try = {"OKR_LEDGER_WEBHOOK_MAX_ATTEMPTS": "1"}
        assert "queued 1, attempts 1, pending 0" in deliver(hook, "--once", **one_try)
        listed = deliver(hook, "--dead", subscription["id"])
        (dead,) = [line for line in listed.splitlines() if line.startswith("msg_")]
        assert "decision_recorded" in dead
        assert "answered 503" in dead
        receiver = receiver.restart(status=200)
        assert "replayed 1 dead letter(s)" in deliver(hook, "--replay-dead", subscription["id"])
        assert "attempts 1, pending 0" in deliver(hook, "--once")
        status = deliver(hook, "--status", "--max-lag", "0")
        assert "lag 0" in status
        assert "0 pending" in status
        first, second = receiver.received()
        assert first["webhook-id"] == second["webhook-id"] == dead.split()[0]
        verified(subscription["secret"], second)
    finally:
        receiver.stop()


def test_the_projection_process_of_the_embedded_default_delivers_too(
    hook: Hooked, receiver: Receiver
) -> None:
    subscription = hook.subscribe(receiver.url, ["decision_recorded"], preset="teams")
    url = hook.services.settings.database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "okr_ledger", "--database-url", url, "project", "--poll", "0.05"],
        cwd=ROOT,
        env={**os.environ, **PRIVATE_OK},
        stderr=subprocess.DEVNULL,
    )
    try:
        hook.decide("heard in Teams")
        deadline = time.monotonic() + 60
        while not receiver.received() and time.monotonic() < deadline:
            time.sleep(0.05)
        (request,) = receiver.received()
        card = verified(subscription["secret"], request)
        assert card["@type"] == "MessageCard"
        assert "heard in Teams" in card["text"]
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    started = Receiver.start(tmp_path / "received.jsonl")
    yield started
    started.stop()
