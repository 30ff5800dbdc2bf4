"""The dispatcher: turns the log into queued notifications, and works the queues.

**Queueing** reads a page of the log after its position, derives the notices
(``deliveries.notices``), and in one transaction queues one message per notice per
matching subscription and advances its position: a crash before the commit reads the
page again, and a message id already queued is not queued twice. Reminders of due and
overdue check-ins are queued the same way from the read models' view of what is due.

**Sending** takes the head of each subscription's queue whose time has come and posts
it, several subscriptions at once, each request bounded by a timeout, so a slow or dead
receiver delays only its own queue. Success marks the message delivered; a failure
schedules the next attempt after a pause that doubles each time; when the retry budget
is spent the message becomes a dead letter and the queue moves on. The outcome is
recorded after the attempt: a crash in between sends the message again, with the same
``webhook-id`` (at least once).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

import orjson

from commands.principals import SYSTEM
from commands.subscriptions import Unsubscribe
from deliveries import signing
from deliveries.notices import Notice, body, due_notice, notices_of
from deliveries.sender import TIMEOUT, Attempt, post
from deliveries.store import DEAD, DELIVERED, PENDING, TRACKING, DeliveryStore
from eventlog.decoder import Decoder
from eventlog.vocabulary import micros_of
from ledger.application import Ledger
from ledger.base import NAMESPACE
from ledger.exceptions import LedgerError
from ledger.meta import utc_now
from projections.due import due_items

log = logging.getLogger(__name__)
SECOND = 1_000_000
DAY = 86_400 * SECOND
GONE = 410
Post = Callable[..., Attempt]


def message_id(*parts: Any) -> str:
    """A stable ``webhook-id``: the same notification has the same id on every retry."""
    return "msg_" + uuid5(NAMESPACE, "/".join(map(str, ["webhook", *parts]))).hex


def wants(subscription: dict[str, Any], notice: Notice) -> bool:
    """Of the kinds it asked for, and of its team or a team below it (if scoped)."""
    team = subscription.get("team_id")
    return notice.kind in subscription["kinds"] and (team is None or team in notice.scope)


class Dispatcher:
    def __init__(
        self,
        ledger: Ledger,
        store: DeliveryStore,
        *,
        read_models: Any = None,
        allow_private: bool = False,
        max_attempts: int = 8,
        backoff_seconds: float = 1.0,
        timeout: float = TIMEOUT,
        clock: Callable[[], datetime] = utc_now,
        send: Post = post,
        concurrency: int = 8,
        jitter: float = 0.1,
        bus: Any = None,
        batch_size: int = 1000,
        due_every: float = 60.0,
        run_length: int = 50,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.read_models = read_models
        self.allow_private = allow_private
        self.max_attempts = max_attempts
        self.backoff = int(backoff_seconds * SECOND)
        self.timeout = timeout
        self.clock = clock
        self.send = send
        self.batch_size = batch_size
        self.jitter = jitter
        self.bus = bus
        """the command bus, to end a subscription whose receiver answers 410 Gone"""
        self.due_every = due_every
        self.run_length = run_length
        """messages of one subscription sent, one after another, before their outcomes
        are recorded together (a crash in between repeats them: at least once)"""
        """seconds between looks at what is due (reminders)"""
        self._last_due = float("-inf")
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="deliver")
        self._in_flight: dict[str, Future[list[tuple[dict[str, Any], Attempt, int]]]] = {}
        """per subscription, the run of messages being sent"""

    def now(self) -> int:
        return micros_of(self.clock())

    # -- queueing ------------------------------------------------------------------------

    def queue_from_log(self) -> int:
        """Queue the notices of everything the log holds now; how many were queued."""
        queued = 0
        head = self.ledger.head_position()
        while (after := self.store.position()) < head:
            page = self.ledger.chained_recorder.read_page(
                after, min(self.batch_size, head - after), head
            )
            records = Decoder.of(self.ledger).page(page)
            if not records:
                break
            with self.store.transaction() as cursor:
                facts = self.store.load_facts(cursor)
                seq = self.store.next_seq(cursor)
                subscriptions = self.store.subscriptions(cursor)
                rows: list[tuple[Any, ...]] = []
                for r in records:
                    if r.aggregate_type == "Subscription":
                        if r.event_type == "Subscription.Subscribed":
                            self.store.subscribed(cursor, r.aggregate_id, r.data)
                        else:
                            self.store.unsubscribed(cursor, r.aggregate_id)
                        subscriptions = self.store.subscriptions(cursor)
                    found = [(n, [r.position, n.kind]) for n in notices_of(r, facts)]
                    if found:
                        rows += self._rows(found, subscriptions, seq + len(rows))
                touched = {r.aggregate_id for r in records}
                self.store.save_facts(cursor, {k: v for k, v in facts.items() if k in touched})
                self.store.enqueue(cursor, rows)
                self.store.store.advance(cursor, TRACKING, records[-1].position)
            queued += len(rows)
        return queued

    def _rows(
        self,
        notices: list[tuple[Notice, list[str]]],
        subscriptions: list[dict[str, Any]],
        seq: int,
    ) -> list[tuple[Any, ...]]:
        """Queue rows: for each notice (with the parts of its message id), one per
        subscription that wants it, numbered from ``seq`` in order."""
        now, rows = self.now(), []
        for notice, parts in notices:
            encoded = orjson.dumps(notice).decode()
            for subscription in subscriptions:
                if wants(subscription, notice):
                    ident = message_id(subscription["id"], *parts)
                    rows.append((ident, subscription["id"], seq + len(rows), notice.kind,
                                 notice.position, notice.summary, encoded, now))  # fmt: skip
        return rows

    def queue_due(self) -> int:
        """Queue a reminder for each key result whose check-in became due or overdue,
        once per key result, period start and state."""
        if self.read_models is None:
            return 0
        now = self.now()
        with self.store.transaction(commit=False) as cursor:
            subscriptions = [
                s
                for s in self.store.subscriptions(cursor)
                if {"check_in_due", "check_in_overdue"} & set(s["kinds"])
            ]
        if not subscriptions:
            return 0
        with self.store.transaction(commit=False) as cursor:
            facts = self.store.load_facts(cursor)
        notices = []
        for cycle in self.read_models.cycles():
            if cycle["status"] != "active":
                continue
            with self.read_models.reading() as cursor:
                snapshot = self.read_models.snapshot(cursor, cycle["id"])
            for item in due_items(snapshot, now) if snapshot else []:
                notices.append((item, due_notice(item, cycle["key"], facts)))
        if not notices:
            return 0
        with self.store.transaction() as cursor:
            seq = self.store.next_seq(cursor)
            keyed = [(n, ["due", i["id"], i["since"], i["state"]]) for i, n in notices]
            rows = self._rows(keyed, subscriptions, seq)
            before = self.store.pending_count(cursor)
            self.store.enqueue(cursor, rows)
            return self.store.pending_count(cursor) - before

    # -- sending -------------------------------------------------------------------------

    def start_due(self) -> int:
        """Start sending, for every subscription with no request in flight, the run of
        messages at the head of its queue whose time has come; how many were started."""
        now = self.now()
        with self.store.transaction(commit=False) as cursor:
            targets = {
                s["id"]: s
                for s in self.store.subscriptions(cursor)
                if s["id"] not in self._in_flight
            }
            runs = {
                ident: run
                for ident in targets
                if (run := self.store.due_run(cursor, ident, now, self.run_length))
            }
            secrets = {ident: self.store.secret(cursor, ident) for ident in runs}
        started = 0
        for ident, run in runs.items():
            secret = secrets.get(ident)
            if secret is None:
                continue  # a subscription without its secret cannot sign (ADR 16)
            self._in_flight[ident] = self._pool.submit(self._send_run, targets[ident], secret, run)
            started += len(run)
        return started

    def _send_run(
        self, subscription: dict[str, Any], secret: str, run: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], Attempt, int]]:
        """Send one subscription's messages in order, one at a time, stopping at the
        first that fails; each with the time of its attempt."""
        done = []
        for head in run:
            notice = Notice(**orjson.loads(head["notice"]))
            payload = body(subscription["preset"], head["message_id"], notice)
            # The attempt's wall-clock time: receivers check it against their own clock.
            headers = signing.headers(secret, head["message_id"], int(time.time()), payload)
            at = self.now()
            try:
                attempt = self.send(
                    subscription["url"],
                    payload,
                    headers,
                    allow_private=self.allow_private,
                    timeout=self.timeout,
                )
            except Exception as error:  # a bug in sending must not stop the queue
                attempt = Attempt(None, f"{type(error).__name__}: {error}")
            done.append((head, attempt, at))
            if not attempt.ok:
                break
        return done

    def settle(self, *, block: float = 0.0) -> int:
        """Record the outcome of every finished run (waiting up to ``block`` seconds
        for one to finish), in one transaction; how many attempts were recorded."""
        if block and self._in_flight:
            wait(list(self._in_flight.values()), block, FIRST_COMPLETED)
        done = {k: f for k, f in self._in_flight.items() if f.done()}
        if not done:
            return 0
        gone, recorded = [], 0
        with self.store.transaction() as cursor:
            for ident, future in done.items():
                for head, attempt, at in future.result():
                    recorded += 1
                    if self._record(cursor, head, attempt, at):
                        gone.append(ident)
        for key in done:
            del self._in_flight[key]
        if self.bus is not None:
            for subscription_id in gone:
                self.end_subscription(subscription_id)
        return recorded

    def _record(self, cursor: Any, head: dict[str, Any], attempt: Attempt, at: int) -> bool:
        """Record one attempt's outcome; True when the receiver is gone (410)."""
        attempts = int(head["attempts"]) + 1
        if attempt.ok:
            state, after = DELIVERED, at
        elif attempts >= self.max_attempts or attempt.status == GONE:
            state, after = DEAD, at
        else:
            state, after = PENDING, self.now() + self.pause(attempts, attempt.retry_after)
        self.store.record_attempt(
            cursor,
            head["message_id"],
            state=state,
            attempts=attempts,
            at=at,
            next_attempt_at=after,
            status=attempt.status,
            error=attempt.error,
        )
        if attempt.status == GONE:  # send it nothing more, from now on
            self.store.unsubscribed(cursor, head["subscription_id"])
            return True
        return False

    def pause(self, attempts: int, retry_after: float | None = None) -> int:
        """Microseconds before the next attempt: the backoff doubled for each failure
        so far, with up to 10% random jitter, at most a day; longer if the receiver
        asked for it (``Retry-After``, up to a day too)."""
        doubled = self.backoff * 2 ** min(attempts - 1, 40)
        pause = min(int(doubled * (1 + self.jitter * random.random())), DAY)
        if retry_after:
            pause = max(pause, min(int(retry_after * SECOND), DAY))
        return pause

    def end_subscription(self, subscription_id: str) -> None:
        """A receiver that answers 410 Gone wants no more: end its subscription (an
        event, by the system, with the reason)."""
        command = Unsubscribe(
            subscription_id=UUID(subscription_id), reason="the receiver answered 410 Gone"
        )
        try:
            self.bus.handle(command, SYSTEM)
        except LedgerError as error:  # ended meanwhile: nothing more to do
            log.info("deliveries: %s", error)

    def step(self, *, block: float = 0.0) -> int:
        """One round: queue (reminders of what is due at most every ``due_every``
        seconds), start what is due, record what finished; how much it did."""
        queued = self.queue_from_log()
        if time.monotonic() - self._last_due >= self.due_every:
            self._last_due = time.monotonic()
            queued += self.queue_due()
        started = self.start_due()
        return queued + started + self.settle(block=block)

    def run_once(self, *, with_due: bool = True) -> dict[str, int]:
        """Queue everything, then send until no queue has a message due now."""
        queued = self.queue_from_log() + (self.queue_due() if with_due else 0)
        sent = 0
        while self.start_due() or self._in_flight:
            sent += self.settle(block=self.timeout + 1)
        with self.store.transaction(commit=False) as cursor:
            pending = self.store.pending_count(cursor)
        return {"queued": queued, "attempts": sent, "pending": pending}

    def run(self, stop: threading.Event, *, poll: float = 0.2) -> None:
        """Deliver until ``stop`` is set."""
        while not stop.is_set():
            try:
                if not self.step(block=poll) and not self._in_flight:
                    stop.wait(poll)
            except Exception as error:  # keep delivering; report and retry
                log.warning("deliveries: %s; retrying", error)
                stop.wait(1.0)
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
