"""Webhook deliveries against a real receiver process on a loopback port: killed and
restarted mid-stream, answering errors until the retry budget is spent, or never
answering at all. Every notification arrives, none is lost, repeats carry the same
webhook-id, and every request verifies with the standardwebhooks package."""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ServicesSwitch
from tests.integration.webhooks_support import Hooked, Receiver, hooked, shared_app, verified


@pytest.fixture(scope="module")
def app() -> tuple[Any, ServicesSwitch]:
    return shared_app()


@pytest.fixture
def hook(tmp_path: Path, app: tuple[Any, ServicesSwitch]) -> Iterator[Hooked]:
    made = hooked(tmp_path / "ledger.sqlite", app, webhook_max_attempts=3)
    yield made
    made.services.close()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    started = Receiver.start(tmp_path / "received.jsonl")
    yield started
    started.stop()


def ids_of(requests: list[dict]) -> list[str]:
    return [r["webhook-id"] for r in requests]


@pytest.mark.parametrize("kill_at", range(1, 11))
def test_a_receiver_killed_mid_stream_gets_every_notification_with_repeats_under_the_same_id(
    hook: Hooked, tmp_path: Path, kill_at: int
) -> None:
    killed_mid_stream(hook, tmp_path, kill_at)


@pytest.mark.postgres
def test_on_postgresql_a_receiver_killed_mid_stream_gets_every_notification(
    pg_url: str, app: tuple[Any, ServicesSwitch], tmp_path: Path
) -> None:
    hook = hooked(pg_url, app, webhook_max_attempts=3)
    try:
        killed_mid_stream(hook, tmp_path, 4)
    finally:
        hook.services.close()


def killed_mid_stream(hook: Hooked, tmp_path: Path, kill_at: int) -> None:
    """Ten notifications; the receiver dies, unanswering, on the ``kill_at``-th request
    and comes back on the same port."""
    receiver = Receiver.start(tmp_path / "received.jsonl", die_after=kill_at)
    try:
        subscription = hook.subscribe(receiver.url, ["decision_recorded"])
        for n in range(10):
            hook.decide(f"decision {n}")
        dispatcher = hook.services.dispatcher()
        dispatcher.run_once()
        assert receiver.wait_exit() == 3  # it died on the kill_at-th request, unanswered
        assert len(receiver.received()) == kill_at
        receiver = receiver.restart()
        hook.clock.advance(seconds=2)  # the first retry's pause (1 s, and jitter)
        result = dispatcher.run_once()
        dispatcher.close()
        got = receiver.received()
        assert result["pending"] == 0
        assert len(set(ids_of(got))) == 10, "every notification arrived"
        repeats = [i for i, n in Counter(ids_of(got)).items() if n > 1]
        assert repeats == [got[kill_at - 1]["webhook-id"]]
        assert len(got) == 11
        summaries = [verified(subscription["secret"], r)["data"]["summary"] for r in got]
        assert list(dict.fromkeys(summaries)) == [
            f"Decision recorded by Quarterly review: decision {n}" for n in range(10)
        ], "one subscription's notifications arrive in log order"
    finally:
        receiver.stop()


def test_a_dispatcher_that_crashes_after_sending_sends_again_under_the_same_id(
    hook: Hooked, receiver: Receiver
) -> None:
    subscription = hook.subscribe(receiver.url, ["decision_recorded"])
    hook.decide("first")
    hook.decide("second")
    crashing = hook.services.dispatcher()

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("killed before the outcome was recorded")

    crashing._record = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        crashing.run_once()
    crashing.close()
    sent = ids_of(receiver.received())
    assert len(set(sent)) == 2, "both were sent (in one run) before the crash"
    resumed = hook.services.dispatcher()
    assert resumed.run_once()["pending"] == 0
    resumed.close()
    got = receiver.received()
    assert ids_of(got) == sent + sent, "the unrecorded run is sent again, under the same ids"
    for request in got:
        verified(subscription["secret"], request)


def test_the_queue_position_survives_a_restart_and_nothing_is_queued_twice(
    hook: Hooked, receiver: Receiver
) -> None:
    hook.subscribe(receiver.url, ["decision_recorded"])
    hook.decide("once")
    first = hook.services.dispatcher()
    assert first.queue_from_log() == 1
    first.close()
    again = hook.services.dispatcher()
    assert again.queue_from_log() == 0
    assert again.run_once()["attempts"] == 1
    again.close()
    assert len(receiver.received()) == 1


def test_a_receiver_that_keeps_failing_leaves_a_dead_letter_that_replays(
    hook: Hooked, tmp_path: Path
) -> None:
    receiver = Receiver.start(tmp_path / "received.jsonl", status=500)
    try:
        subscription = hook.subscribe(receiver.url, ["decision_recorded"])
        hook.decide("refused every time")
        hook.decide("arrives after the dead letter")
        dispatcher = hook.services.dispatcher()
        for pause in (0, 2, 3):  # three attempts (the retry budget), after 1 s and 2 s
            hook.clock.advance(seconds=pause)
            dispatcher.run_once()
        attempts = ids_of(receiver.received())
        assert len(attempts) == 4
        assert len(set(attempts[:3])) == 1
        ident = subscription["id"]
        detail = hook.request("GET", f"/api/v1/webhooks/{ident}").get_json()
        assert [d["attempts"] for d in detail["dead_letters"]] == [3]
        assert detail["dead_letters"][0]["last_status"] == 500
        assert detail["deliveries"]["dead"] == 1

        receiver = receiver.restart(status=200)
        hook.clock.advance(seconds=4)
        dispatcher.run_once()  # the second notification was not stalled by the dead one
        replay = hook.request("POST", f"/api/v1/webhooks/{ident}/dead-letters/replay")
        assert replay.get_json() == {"replayed": 1}
        dispatcher.run_once()
        dispatcher.close()
        detail = hook.request("GET", f"/api/v1/webhooks/{ident}").get_json()
        assert detail["dead_letters"] == []
        assert detail["deliveries"]["delivered"] == 2
        got = receiver.received()
        assert got[-1]["webhook-id"] == attempts[0], "a replayed letter keeps its webhook-id"
        for request in got:
            verified(subscription["secret"], request)
    finally:
        receiver.stop()


def test_a_receiver_that_never_answers_does_not_stall_the_others(
    hook: Hooked, receiver: Receiver
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections into its backlog, never answers
    try:
        hook.subscribe(f"http://127.0.0.1:{silent.getsockname()[1]}/", ["decision_recorded"])
        hook.subscribe(receiver.url, ["decision_recorded"])
        for n in range(3):
            hook.decide(f"decision {n}")
        dispatcher = hook.services.dispatcher()
        deadline = time.monotonic() + 30
        while len(receiver.received()) < 3 and time.monotonic() < deadline:
            dispatcher.step(block=0.05)
        assert len(receiver.received()) == 3
        assert len(dispatcher._in_flight) == 1, "the silent receiver's first request still waits"
        dispatcher.close()
    finally:
        silent.close()


def test_a_private_target_is_refused_at_delivery_time_without_the_setting(
    hook: Hooked, receiver: Receiver
) -> None:
    hook.subscribe(receiver.url, ["decision_recorded"])
    hook.decide("never sent")
    strict = hook.services.dispatcher(allow_private=False)
    strict.run_once()
    strict.close()
    assert receiver.received() == []
    store = hook.services.deliveries
    with store.transaction(commit=False) as cursor:
        (row,) = store.messages(cursor, store.subscription_ids()[0])
    assert "private-network" in row["last_error"]
