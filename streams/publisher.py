"""The publisher: relays the notification log to the events topic, in log order.

It reads a page of the log, sends one message per event (keyed by aggregate id), waits
until the broker has acknowledged every one, and only then records, durably, how far it
has published. Then it owes the topic a *watermark* for that position, a control
message to every partition saying "everything up to here has been written"; it sends
it with the next page (or on its own once the log is exhausted), never before the
events it covers are acknowledged. The next page is read while the current one is in
flight. After a crash it resumes from the recorded position and first writes that
position's watermark again: events after it may be published twice (at least once),
and consumers drop repeats by (aggregate id, version) or by position. When the broker
is away it keeps retrying, with a growing pause; the ledger keeps accepting commands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from kafka.errors import KafkaError

from eventlog.store import ReadStore
from ledger.application import Ledger
from streams.envelope import watermark_message
from streams.kafka import discard
from streams.pages import ProcessPages, ThreadPages

log = logging.getLogger(__name__)


class Publisher:
    def __init__(
        self,
        ledger: Ledger,
        store: ReadStore,
        make_producer: Callable[[], Any],
        topic: str,
        *,
        batch_size: int = 5000,
        ack_timeout: float = 30.0,
        reader_url: str | None = None,
    ) -> None:
        """``reader_url``: the ledger's database URL, to read and encode pages in a
        process of their own (worth it on a database server, not on a file)."""
        self.ledger = ledger
        self.reader_url = reader_url
        self._pages: ThreadPages | ProcessPages | None = None
        self.store = store
        self.make_producer = make_producer
        self.topic = topic
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.tracking_name = f"publisher@{topic}"
        self._producer: Any = None
        self._unmarked: int | None = None
        """the position whose watermark is owed (None: not known yet, 0: none owed)"""
        self.before_record: Callable[[int], None] | None = None
        """a hook for fault-injection tests: called with a page's position once the
        broker acknowledged it, before that position is recorded"""

    @property
    def producer(self) -> Any:
        if self._producer is None:
            self._producer = self.make_producer()
        return self._producer

    def reset(self) -> None:
        """Drop the producer (after a failure); the next batch makes a fresh one."""
        if self._producer is not None:
            try:
                discard(self._producer)
            except Exception as error:  # closing a broken producer must not mask the cause
                log.debug("closing the producer failed: %s", error)
            self._producer = None

    def position(self) -> int:
        return self.store.position(self.tracking_name)

    def lag(self) -> int:
        return self.ledger.head_position() - self.position()

    def publish_all(self) -> int:
        """Publish everything the log holds now; returns how many events it published.

        Three pages are at work at once: one being read from the log, one being sent,
        and one being acknowledged by the broker (its position is recorded once it is).
        """
        if self._unmarked is None:
            self._unmarked = self.position() or None  # a crash may have lost its watermark
        after, head = self.position(), self.ledger.head_position()
        published = 0
        in_flight: deque[tuple[int, list[Any]]] = deque()
        pages = self._reader()
        upcoming = pages.submit(after, head, self.batch_size) if after < head else None
        while upcoming is not None:
            reached, messages = upcoming.result()
            if not messages:
                break
            upcoming = pages.submit(reached, head, self.batch_size) if reached < head else None
            futures = self._watermarks()  # owed for a page acknowledged already
            futures += [
                self.producer.send(self.topic, key=key, value=value, headers=headers)
                for key, value, headers in messages
            ]
            in_flight.append((reached, futures))
            published += len(messages)
            if len(in_flight) > 1:
                self._settle(*in_flight.popleft())
        while in_flight:
            self._settle(*in_flight.popleft())
        if self._unmarked:
            futures = self._watermarks()
            self.producer.flush(timeout=self.ack_timeout)
            self._wait(futures)
        return published

    def _reader(self) -> ThreadPages | ProcessPages:
        if self._pages is None:
            self._pages = (
                ProcessPages(self.reader_url) if self.reader_url else ThreadPages(self.ledger)
            )
        return self._pages

    def close(self) -> None:
        """Drop the producer and stop the page reader."""
        self.reset()
        if self._pages is not None:
            self._pages.close()
            self._pages = None

    def _watermarks(self) -> list[Any]:
        """Send the watermark owed (if any) to every partition; their futures."""
        if not self._unmarked:
            return []
        value, headers = watermark_message(self._unmarked)
        partitions = self.producer.partitions_for(self.topic) or {0}
        self._unmarked = 0
        return [
            self.producer.send(self.topic, value=value, headers=headers, partition=p)
            for p in sorted(partitions)
        ]

    def _settle(self, reached: int, futures: list[Any]) -> None:
        """Once a page is acknowledged, record its position; its watermark is owed."""
        self._wait(futures)
        if self.before_record:
            self.before_record(reached)
        with self.store.transaction() as cursor:
            self.store.advance(cursor, self.tracking_name, reached)
        self._unmarked = reached

    def _wait(self, futures: list[Any]) -> None:
        deadline = time.monotonic() + self.ack_timeout
        for future in futures:
            if not future.is_done:
                future.get(timeout=max(0.0, deadline - time.monotonic()))
            if future.failed():
                raise future.exception

    def run(
        self,
        stop: threading.Event,
        *,
        poll: float = 0.2,
        report_every: float = 10.0,
        report: Callable[[str], None] = log.info,
    ) -> None:
        """Publish until ``stop`` is set, retrying through broker outages."""
        pause, reported = 0.5, 0.0
        while not stop.is_set():
            try:
                if not self.publish_all():
                    stop.wait(poll)
                pause = 0.5
            except (KafkaError, OSError) as error:
                report(f"publisher: broker unavailable ({error}); retrying in {pause:.1f} s")
                self.reset()
                self._unmarked = None  # a new producer, perhaps a new topic: mark again
                stop.wait(pause)
                pause = min(pause * 2, 10.0)
            if time.monotonic() - reported >= report_every:
                reported = time.monotonic()
                position = self.position()
                lag = self.ledger.head_position() - position
                report(f"publisher: at position {position}, lag {lag}")
        self.close()
