"""The delivery queue with a fake receiver and a fake clock. For any run of receiver
answers: every notification ends delivered or dead, never both; it is tried at most the
budget's times, always under the same webhook-id; one subscription's notifications are
delivered in log order; and a dead letter is one that failed every attempt. And the
etiquette of Standard Webhooks: 410 Gone ends the subscription, Retry-After is heeded."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from commands import messages as m
from commands.principals import SYSTEM
from commands.subscriptions import Subscribe
from deliveries import signing
from deliveries.sender import Attempt
from ledger.subscription import Subscription
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from tests.conftest import ADMIN_PRINCIPAL, FakeClock, build_org

BUDGET = 3


class Ledgered:
    """A ledger in memory with one subscription to decisions."""

    def __init__(self, notices: int) -> None:
        self.clock = FakeClock()
        self.services = bootstrap(Settings(database_url="memory://"), clock=self.clock)
        self.org = build_org(self.services.bus)
        self.ident = uuid4()
        self.services.deliveries.keep_secret(str(self.ident), signing.new_secret())
        self.services.bus.handle(
            Subscribe(subscription_id=self.ident, url="https://hooks.example.org/",
                      kinds=["decision_recorded"]),
            ADMIN_PRINCIPAL,
        )  # fmt: skip
        for n in range(notices):
            self.decide(f"decision {n}")

    def decide(self, summary: str) -> None:
        self.org.do(
            m.RecordDecision(forum="QBR", decided_by=("ana",), decision_type="escalate",
                             summary=summary, rationale="because")
        )  # fmt: skip

    def rows(self) -> list[dict[str, Any]]:
        store = self.services.deliveries
        with store.transaction(commit=False) as cursor:
            found = store.messages(cursor, str(self.ident), limit=100)
        return sorted(found, key=lambda r: r["seq"])


@settings(max_examples=30, deadline=None)
@given(
    notices=st.integers(1, 6),
    answers=st.lists(st.sampled_from([200, 204, 500, 503, None]), max_size=40),
)
def test_every_notification_ends_delivered_or_dead_in_order_under_one_id(
    notices: int, answers: list[int | None]
) -> None:
    ledgered = Ledgered(notices)
    clock, services = ledgered.clock, ledgered.services
    try:
        script = iter(answers)
        tried: list[tuple[str, int | None]] = []

        def receive(url: str, body: bytes, headers: dict[str, str], **_: Any) -> Attempt:
            status = next(script, 200)
            tried.append((headers["webhook-id"], status))
            return Attempt(status, None if status and status < 300 else "refused")

        dispatcher = services.dispatcher(send=receive, max_attempts=BUDGET)
        for _ in range(notices * BUDGET + 1):
            dispatcher.run_once(with_due=False)
            clock.advance(seconds=60)
        dispatcher.close()

        rows = ledgered.rows()
        assert len(rows) == notices
        assert {r["state"] for r in rows} <= {"delivered", "dead"}
        attempts: dict[str, list[int | None]] = defaultdict(list)
        for webhook_id, status in tried:
            attempts[webhook_id].append(status)
        delivered_order = [w for w, s in tried if s is not None and s < 300]
        assert delivered_order == [r["message_id"] for r in rows if r["state"] == "delivered"]
        for row in rows:
            seen = attempts[row["message_id"]]
            assert 1 <= len(seen) <= BUDGET
            assert len(seen) == row["attempts"]
            failed = [s for s in seen if s is None or s >= 300]
            assert (row["state"] == "dead") == (len(failed) == BUDGET)
    finally:
        services.close()


def test_a_receiver_that_answers_gone_ends_its_subscription_by_an_event() -> None:
    ledgered = Ledgered(3)
    services = ledgered.services
    try:
        sent: list[str] = []

        def gone(url: str, body: bytes, headers: dict[str, str], **_: Any) -> Attempt:
            sent.append(headers["webhook-id"])
            return Attempt(410, "answered 410")

        dispatcher = services.dispatcher(send=gone)
        dispatcher.run_once(with_due=False)
        dispatcher.run_once(with_due=False)  # reads the Unsubscribed event
        dispatcher.close()
        assert len(sent) == 1, "no retry after 410 Gone"
        assert [r["state"] for r in ledgered.rows()] == ["dead", "dropped", "dropped"]
        subscription = services.ledger.get(Subscription, ledgered.ident)
        assert subscription.status == "cancelled"
        ended = services.ledger.history(ledgered.ident)[-1]
        assert (ended.meta.actor, ended.meta.reason) == (
            SYSTEM.name, "the receiver answered 410 Gone",
        )  # fmt: skip
    finally:
        services.close()


def test_a_retry_waits_as_long_as_the_receiver_asks() -> None:
    ledgered = Ledgered(1)
    services, clock = ledgered.services, ledgered.clock
    try:
        answers = iter([Attempt(503, "busy", retry_after=120), Attempt(204, None)])
        dispatcher = services.dispatcher(send=lambda *a, **k: next(answers))
        dispatcher.run_once(with_due=False)
        clock.advance(seconds=100)  # past the backoff (5 s), short of Retry-After
        assert dispatcher.run_once(with_due=False)["attempts"] == 0
        clock.advance(seconds=21)
        assert dispatcher.run_once(with_due=False)["attempts"] == 1
        dispatcher.close()
        assert [r["state"] for r in ledgered.rows()] == ["delivered"]
    finally:
        services.close()


@given(st.integers(1, 60), st.floats(0, 1))
def test_the_pause_doubles_with_bounded_jitter_and_never_exceeds_a_day(
    attempts: int, jitter: float
) -> None:
    services = bootstrap(Settings(database_url="memory://"))
    try:
        dispatcher = services.dispatcher(jitter=jitter, backoff_seconds=5)
        pause = dispatcher.pause(attempts)
        doubled = 5_000_000 * 2 ** (attempts - 1)
        assert pause <= 86_400_000_000
        assert min(doubled, 86_400_000_000) <= pause or pause == 86_400_000_000
        assert pause <= doubled * (1 + jitter) + 1
        dispatcher.close()
    finally:
        services.close()


def test_a_subscription_scoped_to_a_unit_hears_of_the_teams_below_it_and_no_other() -> None:
    ledgered = Ledgered(0)
    services, org = ledgered.services, ledgered.org
    try:
        scoped = {}
        for name, team in (("function", org.function), ("team", org.team),
                           ("other", org.other_team)):  # fmt: skip
            ident = uuid4()
            services.deliveries.keep_secret(str(ident), signing.new_secret())
            services.bus.handle(
                Subscribe(subscription_id=ident, url=f"https://hooks.example.org/{name}",
                          kinds=["decision_recorded"], team_id=team),
                ADMIN_PRINCIPAL,
            )  # fmt: skip
            scoped[name] = ident
        objective = org.objective()
        org.do(
            m.RecordDecision(forum="QBR", decided_by=("ana",), decision_type="change_scope",
                             summary="narrow it", rationale="focus", affects=(objective,))
        )  # fmt: skip
        heard: list[str] = []

        def receive(url: str, body: bytes, headers: dict[str, str], **_: Any) -> Attempt:
            heard.append(url.rsplit("/", 1)[1])
            return Attempt(204, None)

        dispatcher = services.dispatcher(send=receive)
        dispatcher.run_once(with_due=False)
        dispatcher.close()
        assert sorted(heard) == ["", "function", "team"]  # "": the unscoped subscription
    finally:
        services.close()
