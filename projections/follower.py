"""Keeps read models up to date with the log, in batches: read a page of the
notification log, apply it to every view that has not seen it, and commit each view's
changes with its tracking position in one transaction. After a crash it resumes from
the tracking positions, so every event is applied exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from eventsourcing.persistence import IntegrityError

from eventlog.decoder import Decoder, paused_gc
from eventlog.record import Record
from eventlog.store import ReadStore
from ledger.application import Ledger
from projections.view import View

Progress = Callable[[int, int], None]
"""called with (position reached, head position)"""


class Follower:
    def __init__(
        self,
        ledger: Ledger,
        store: ReadStore,
        views: Sequence[View],
        *,
        batch_size: int = 5000,
    ) -> None:
        self.ledger = ledger
        self.decoder = Decoder.of(ledger)
        self.store = store
        self.views = list(views)
        self.batch_size = batch_size
        self.before_commit: Callable[[View, list[Record]], None] | None = None
        """a hook for fault-injection tests: raise here to crash mid-batch"""
        self._positions: dict[str, int] = {}

    def create_tables(self) -> None:
        with self.store.transaction() as cursor:
            for view in self.views:
                view.create(cursor)

    def position(self, view: View) -> int:
        if view.tracking_name not in self._positions:
            self._positions[view.tracking_name] = self.store.position(view.tracking_name)
        return self._positions[view.tracking_name]

    def lowest_position(self) -> int:
        return min((self.position(v) for v in self.views), default=0)

    def catch_up(self, *, until: int | None = None, progress: Progress | None = None) -> int:
        """Apply everything up to ``until`` (default: the head now); returns how many
        events were applied.

        Work overlaps: the next page of the log is read and decoded while the views
        apply the current one, each view in its own transaction and thread, so the
        database's work and the interpreter's interleave instead of adding up.
        """
        head = self.ledger.head_position() if until is None else until
        applied = 0
        with paused_gc(), ThreadPoolExecutor(max_workers=len(self.views) + 1) as pool:
            upcoming: Future[list[Record]] | None = pool.submit(
                self._read, self.lowest_position(), head
            )
            while upcoming is not None:
                records = upcoming.result()
                if not records:
                    break
                after = records[-1].position
                upcoming = pool.submit(self._read, after, head) if after < head else None
                batches = [records] * len(self.views)
                for count in pool.map(self._apply, self.views, batches):
                    applied += count
                if progress:
                    progress(after, head)
        return applied

    def _read(self, after: int, head: int) -> list[Record]:
        page = self.ledger.chained_recorder.read_page(
            after, min(self.batch_size, head - after), head
        )
        return self.decoder.page(page)

    def _apply(self, view: View, records: list[Record]) -> int:
        seen = self.position(view)
        fresh = [r for r in records if r.position > seen]
        if not fresh:
            return 0
        try:
            with self.store.transaction(durable=False) as cursor:
                view.apply(cursor, fresh)
                if self.before_commit:
                    self.before_commit(view, fresh)
                self.store.track(cursor, view.tracking_name, fresh[-1].position)
        except BaseException as failure:
            view.forget()
            self._positions.pop(view.tracking_name, None)
            if isinstance(failure, IntegrityError) and self.position(view) > seen:
                return 0  # another follower applied this batch first
            raise
        self._positions[view.tracking_name] = fresh[-1].position
        return len(fresh)

    def run(self, stop: threading.Event, *, poll: float = 0.1) -> None:
        """Follow the log until ``stop`` is set."""
        while not stop.is_set():
            if not self.catch_up():
                stop.wait(poll)
