"""A projection worker: a consumer-group member that keeps the read models in the
database from the events topic.

Several workers share the topic's partitions. Each stores, per partition and view, the
next offset to read, the highest log position applied and the last watermark seen, in
the same transaction as that view's updates from those messages (exactly once; the two
views apply a batch side by side, each in its own transaction). It reads its partitions
from those stored offsets (the lower of the two views'), never from the broker's
committed ones, and advances a stored offset only from the value it read (compare and
set), so a worker that lost a partition in a rebalance cannot write for it twice.
Messages repeated by the publisher (positions a partition has already passed) are
dropped, and so are messages below a view's own offset.

A view's tracking position becomes its lowest watermark over all partitions: every
event up to it has been applied, whichever partition it went to. Events at or
below a view's tracking position are never applied again, so workers can take over
views the in-process follower kept, and carry on after a rebuild swapped in new tables.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from kafka import ConsumerRebalanceListener, TopicPartition

from eventlog.record import Record
from eventlog.store import Cursor, Projection, ReadStore
from streams.envelope import MalformedMessage, Watermark, parse
from streams.fetching import Fetched, ProcessFetcher, fetched

log = logging.getLogger(__name__)

OFFSETS = "rm_kafka_view_offsets"
ONE_ROW_OFFSETS = "rm_kafka_offsets"
"""where a group kept one row per partition for both views (before each view kept its
own): a group found there carries its place over"""
VIEWS = ("audit", "state")
"""the views a worker keeps, as its offsets name them"""
GROUP_POLL_MS = 5
"""how long the member's own poll waits for the group while a fetch is under way"""


Parsed = dict[int, tuple[int, int, list[tuple[int, Record | Watermark]]]]
"""partition → (first offset, offset after the last, (offset, message) read back)"""


def read(batch: Fetched) -> Parsed:
    """The fetched messages as records and watermarks; malformed ones are left out."""
    parsed: Parsed = {}
    for partition, (offsets, values) in batch.items():
        items: list[tuple[int, Record | Watermark]] = []
        for offset, value in zip(offsets, values, strict=True):
            try:
                items.append((offset, parse(value)))
            except MalformedMessage as error:
                log.warning("skipping a malformed message at %s/%s: %s", partition, offset, error)
        parsed[partition] = (offsets[0], offsets[-1] + 1, items)
    return parsed


class Resync(Exception):
    """Stored offsets moved under this worker (a rebalance): re-read them and go on."""


class ReadSide(Protocol):
    """What the worker keeps: the read models' store and their two live views (which
    ``refresh`` re-resolves after a rebuild swapped new ones in)."""

    store: ReadStore

    @property
    def audit(self) -> Projection: ...

    @property
    def state(self) -> Projection: ...

    def refresh(self) -> None: ...


class ProjectionWorker(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self, models: ReadSide, consumer: Any, topic: str, group: str, *,
        batch_size: int = 2000,
    ) -> None:  # fmt: skip
        self.models = models
        self.store = models.store
        self.consumer = consumer
        self.topic = topic
        self.group = group
        self.batch_size = batch_size
        self.before_commit: Any = None
        """a hook for fault-injection tests: raise here to crash mid-batch"""
        self._in_flight: Future[int] | None = None
        """the batch being applied while the next one is fetched (in ``run``)"""
        self._fetcher: ProcessFetcher | None = None
        """while ``run`` runs: the process fetching the messages of its partitions"""
        self._views = ThreadPoolExecutor(max_workers=2, thread_name_prefix="view")
        with self.store.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {OFFSETS} (group_id TEXT NOT NULL, "
                "topic TEXT NOT NULL, partition INTEGER NOT NULL, view TEXT NOT NULL, "
                "next_offset BIGINT NOT NULL, last_position BIGINT NOT NULL, "
                "watermark BIGINT NOT NULL, PRIMARY KEY (group_id, topic, partition, view))"
            )
            if self._exists(cursor, ONE_ROW_OFFSETS):
                for view in VIEWS:
                    cursor.execute(
                        f"INSERT INTO {OFFSETS} SELECT group_id, topic, partition, %s, "
                        f"next_offset, last_position, watermark FROM {ONE_ROW_OFFSETS} "
                        "WHERE group_id = %s AND topic = %s "
                        "ON CONFLICT (group_id, topic, partition, view) DO NOTHING",
                        (view, group, topic),
                    )

    @staticmethod
    def _exists(cursor: Cursor, table: str) -> bool:
        if cursor.dialect == "postgres":
            row = cursor.execute("SELECT to_regclass(%s) AS t", (table,)).fetchone()
            return bool(row and row["t"])
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s"
        return cursor.execute(query, (table,)).fetchone() is not None

    def start(self) -> None:
        self.consumer.subscribe([self.topic], listener=self)

    # -- rebalancing -----------------------------------------------------------------------

    def on_partitions_revoked(self, revoked: Any) -> None:
        self._quiesce()
        self._forget()

    def on_partitions_assigned(self, assigned: Any) -> None:
        self._quiesce()
        self._forget()
        self._seek(list(self.consumer.assignment()))

    def _quiesce(self) -> None:
        """Let the batch in flight end (committed or rolled back) before the caches
        and offsets change under it; the stored offsets say which it was."""
        if self._in_flight is not None:
            self._in_flight.exception()

    def _forget(self) -> None:
        for view in (self.models.audit, self.models.state):
            view.forget()

    def _seek(self, partitions: list[TopicPartition]) -> None:
        """Read ``partitions`` (all this member holds) from their stored offsets."""
        every = sorted(self.consumer.partitions_for_topic(self.topic) or ())
        with self.store.transaction() as cursor:
            for number, view in itertools.product(every, VIEWS):  # each partition has a row,
                cursor.execute(  # so the lowest watermark is right
                    f"INSERT INTO {OFFSETS} VALUES (%s, %s, %s, %s, 0, 0, 0) "
                    "ON CONFLICT (group_id, topic, partition, view) DO NOTHING",
                    (self.group, self.topic, number, view),
                )
            stored = [self._offsets(cursor, view) for view in VIEWS]
        start = {
            tp.partition: min(s[tp.partition]["next_offset"] for s in stored) for tp in partitions
        }
        if self._fetcher is None:
            for tp in partitions:
                self.consumer.seek(tp, start[tp.partition])
            return
        self.consumer.pause(*partitions)  # the member fetches nothing itself
        self._fetcher.assign(start)

    def _offsets(self, cursor: Cursor, view: str) -> dict[int, dict[str, Any]]:
        rows = cursor.execute(
            f"SELECT * FROM {OFFSETS} WHERE group_id = %s AND topic = %s AND view = %s",
            (self.group, self.topic, view),
        ).fetchall()
        return {row["partition"]: row for row in rows}

    # -- consuming -------------------------------------------------------------------------

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Apply one batch of messages; returns how many events it applied."""
        batch = fetched(self.consumer.poll(timeout_ms=timeout_ms, max_records=self.batch_size))
        if not batch:
            return 0
        try:
            return self._commit(read(batch))
        except Exception:
            self._recover()
            raise

    def _commit(self, batch: Parsed) -> int:
        """Apply one batch to both views side by side, each in one transaction with
        the offsets it moves; they commit once both applied it (a crash between the two
        commits leaves one view a batch ahead, as its own offsets say)."""
        self.models.refresh()  # a rebuild may have swapped in new tables
        views = (self.models.audit, self.models.state)
        with contextlib.ExitStack() as transactions:
            if self.store.dialect == "postgres":  # each view on a connection of its own
                cursors = [
                    transactions.enter_context(self.store.transaction(durable=False))
                    for _ in views
                ]
                applying = [
                    self._views.submit(self._apply, c, n, v, batch)
                    for c, n, v in zip(cursors, VIEWS, views, strict=True)
                ]
                wait(applying)  # both, even if one failed: no rollback races the other
                applied = [future.result() for future in applying]
            else:  # one writer at a time: both views in one transaction
                cursors = [transactions.enter_context(self.store.transaction())] * len(views)
                applied = [
                    self._apply(c, n, v, batch)
                    for c, n, v in zip(cursors, VIEWS, views, strict=True)
                ]
            records = max((found for found, _ in applied), key=len)
            if self.before_commit:
                self.before_commit(records)
            for cursor, name, view, (_, updates) in zip(
                cursors, VIEWS, views, applied, strict=True
            ):
                self._move(cursor, name, view, updates)
        return len(records)

    def _recover(self) -> None:
        """After a failed batch (rolled back): read again from the stored offsets."""
        self._forget()
        self._seek(list(self.consumer.assignment()))

    def _apply(
        self, cursor: Cursor, name: str, view: Projection, batch: Parsed
    ) -> tuple[list[Record], list[Any]]:
        """Apply to ``view`` what it has not seen of ``batch``: (the records, the offset
        updates to make)."""
        stored = self._offsets(cursor, name)
        records: list[Record] = []
        updates = []
        for partition, (first, end, items) in batch.items():
            row = stored[partition]
            start = row["next_offset"]
            if first > start:
                raise Resync(f"partition {partition} is at {start}, not {first}")
            if end <= start:
                continue  # this view has it all (it committed a batch the other did not)
            last, watermark = row["last_position"], row["watermark"]
            for offset, item in items:
                if offset < start:
                    continue
                if isinstance(item, Watermark):
                    watermark = max(watermark, item.position)
                elif item.position > last:
                    records.append(item)
                    last = item.position
            updates.append((end, last, watermark, partition, start))
        records.sort(key=lambda r: r.position)
        # a view is complete up to its own tracking position, whoever kept it: the
        # in-process follower before the workers took over, or a rebuild swapped in
        floor = self.store.position_in(cursor, view.tracking_name)
        view.apply(cursor, [r for r in records if r.position > floor])
        return records, updates

    def _move(self, cursor: Cursor, name: str, view: Projection, updates: list[Any]) -> None:
        """Move the view's offsets on (compare and set) and its tracking position up to
        its lowest watermark."""
        for end, last, watermark, partition, start in updates:
            cursor.execute(
                f"UPDATE {OFFSETS} SET next_offset = %s, last_position = %s, watermark = %s "
                "WHERE group_id = %s AND topic = %s AND partition = %s AND view = %s "
                "AND next_offset = %s",
                (end, last, watermark, self.group, self.topic, partition, name, start),
            )
            if cursor.rowcount != 1:
                raise Resync(f"partition {partition} was moved on by another worker")
        low = cursor.execute(
            f"SELECT MIN(watermark) AS low FROM {OFFSETS} "
            "WHERE group_id = %s AND topic = %s AND view = %s",
            (self.group, self.topic, name),
        ).fetchone()
        self.store.advance(cursor, view.tracking_name, int(low["low"] if low else 0))

    def run(self, stop: threading.Event, *, timeout_ms: int = 500) -> None:
        """Consume until ``stop`` is set. A failed batch is rolled back and read again
        from the stored offsets, so no error loses or doubles an event.

        The messages are fetched (and decoded by the Kafka client) in a process of
        their own (``streams.fetching``), the next batch while the current one is
        applied; this member polls only to keep its place in the group. Batches still
        commit one after another, each only after the one before it, and a batch
        fetched behind a failed one is dropped, since the stored offsets no longer
        match it."""
        self._fetcher = ProcessFetcher(
            self.consumer.config["bootstrap_servers"], self.topic, self.batch_size
        )
        self.start()
        applying = ThreadPoolExecutor(max_workers=1, thread_name_prefix="views")
        try:
            while not stop.is_set():
                try:
                    batch = read(self._next(timeout_ms))  # while the last one is applied
                    self._settle()
                    if batch:
                        self._in_flight = applying.submit(self._commit, batch)
                except Resync as moved:
                    log.info("resynchronising: %s", moved)
                except Exception as error:
                    log.warning("a batch failed (%s); reading it again", error)
                    stop.wait(1.0)
            try:
                self._settle()
            except Exception as error:
                log.warning("the last batch failed (%s); it is read again on restart", error)
        finally:
            applying.shutdown()
            self._fetcher.close()
            self._fetcher = None
            self.consumer.close()

    def _next(self, timeout_ms: int) -> Fetched:
        """The group's business first (its partitions are paused: the member itself
        fetches nothing), then the batch the fetching process has read meanwhile."""
        assert self._fetcher is not None
        if not self.consumer.assignment():
            self.consumer.poll(timeout_ms=timeout_ms)  # joining the group
            return {}
        self.consumer.poll(timeout_ms=GROUP_POLL_MS)
        return self._fetcher.next(timeout_ms) if self.consumer.assignment() else {}

    def _settle(self) -> None:
        """Wait for the batch in flight; if it failed, read again from the stored
        offsets and raise its error."""
        done, self._in_flight = self._in_flight, None
        if done is None:
            return
        failure = done.exception()
        if failure is not None:
            self._recover()
            raise failure
