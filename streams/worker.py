"""A projection worker: a consumer-group member that keeps the read models in the
database from the events topic.

Several workers share the topic's partitions. Each view keeps, per partition, the next
offset to read, the highest log position applied and the last watermark seen, stored
in the same transaction as the updates it makes to that view from those messages
(exactly once). The two views apply each batch side by side, each in a transaction of
its own on its own connection, as the in-process follower does; so one may commit a
batch the other then fails, and each resumes from its own offsets. A worker reads its
partitions from the lowest of the views' stored offsets, never from the broker's
committed ones; a view skips the messages it has already passed, and advances its
stored offset only from the value it read (compare and set), so a worker that lost a
partition in a rebalance cannot write for it twice. Messages repeated by the publisher
(positions a partition has already passed) are dropped.

A view's tracking position becomes its lowest watermark over all partitions: every
event up to it has been applied to it, whichever partition it went to. Events at or
below a view's tracking position are never applied again, so workers can take over
views the in-process follower kept, and carry on after a rebuild swapped in new tables.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from kafka import ConsumerRebalanceListener, TopicPartition

from eventlog.decoder import paused_gc
from eventlog.record import Record
from eventlog.store import Cursor, Projection, ReadStore
from streams.envelope import MalformedMessage, Watermark, parse

log = logging.getLogger(__name__)

OFFSETS = "rm_kafka_view_offsets"
LEGACY_OFFSETS = "rm_kafka_offsets"
"""where offsets were kept for both views at once, before each view kept its own"""
VIEWS = ("audit", "state")

Parsed = dict[int, list[tuple[int, Record | Watermark | None]]]
"""a batch's items by partition, each with its offset (None: a malformed message)"""


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
        """a hook for fault-injection tests, called with a view's name and records:
        raise here to crash that view's transaction mid-batch"""
        self.before_track: Any = None
        """a hook for tests: called with a view's name once its lowest watermark is
        read, before it is tracked"""
        self._in_flight: Future[int] | None = None
        """the batch being applied while the next one is polled (in ``run``)"""
        self._beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit")
        """applies the audit view while the calling thread applies the state view"""
        with self.store.transaction() as cursor:
            create_offsets(cursor)

    def start(self) -> None:
        self.consumer.subscribe([self.topic], listener=self)

    def close(self) -> None:
        self._beside.shutdown()

    # -- rebalancing -----------------------------------------------------------------------

    def on_partitions_revoked(self, revoked: Any) -> None:
        self._quiesce()
        self._forget()

    def on_partitions_assigned(self, assigned: Any) -> None:
        self._quiesce()
        self._forget()
        self._seek(list(assigned))

    def _quiesce(self) -> None:
        """Let the batch in flight end (committed or rolled back) before the caches
        and offsets change under it; the stored offsets say which it was."""
        if self._in_flight is not None:
            self._in_flight.exception()

    def _forget(self) -> None:
        for view in (self.models.audit, self.models.state):
            view.forget()

    def _seek(self, partitions: list[TopicPartition]) -> None:
        """Move the partitions to the lowest of the views' stored offsets. This runs in
        the rebalance listener, which kafka-python calls inline on its own loop,
        heartbeats included: it must be short, so its rows (zeros for partitions never
        seen) commit without waiting for the disk, like the batches' own offsets (a
        crash loses nothing the next seek does not write again)."""
        every = sorted(self.consumer.partitions_for_topic(self.topic) or ())
        with self.store.transaction(durable=False) as cursor:
            for view in VIEWS:  # a row per partition, so the lowest watermark is right
                for number in every:
                    cursor.execute(
                        f"INSERT INTO {OFFSETS} VALUES (%s, %s, %s, %s, 0, 0, 0) "
                        "ON CONFLICT (group_id, topic, view, partition) DO NOTHING",
                        (self.group, self.topic, view, number),
                    )
            rows = cursor.execute(
                f"SELECT partition, MIN(next_offset) AS next_offset FROM {OFFSETS} "
                "WHERE group_id = %s AND topic = %s GROUP BY partition",
                (self.group, self.topic),
            ).fetchall()
        lowest = {row["partition"]: row["next_offset"] for row in rows}
        for tp in partitions:
            self.consumer.seek(tp, lowest[tp.partition])

    def _offsets(self, cursor: Cursor, view: str) -> dict[int, dict[str, Any]]:
        rows = cursor.execute(
            f"SELECT * FROM {OFFSETS} WHERE group_id = %s AND topic = %s AND view = %s",
            (self.group, self.topic, view),
        ).fetchall()
        return {row["partition"]: row for row in rows}

    # -- consuming -------------------------------------------------------------------------

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Apply one batch of messages; returns how many events it applied."""
        batch = self.consumer.poll(timeout_ms=timeout_ms, max_records=self.batch_size)
        if not batch:
            return 0
        try:
            return self._commit(batch)
        except Exception:
            self._recover()
            raise

    def _commit(self, batch: dict[TopicPartition, list[Any]]) -> int:
        """Apply one polled batch to both views, each in its own transaction with the
        offsets it moves; returns how many events the view that applied more applied."""
        return self._commit_parsed(self._parse(batch))

    def _commit_parsed(self, parsed: Parsed) -> int:
        """Apply a parsed batch to both views. On PostgreSQL the two run side by side;
        both have ended when this returns or raises."""
        self.models.refresh()  # a rebuild may have swapped in new tables
        with paused_gc():
            if self.store.dialect != "postgres":  # SQLite writes one transaction at a time
                return max(self._apply(view, parsed) for view in VIEWS)
            audit = self._beside.submit(self._apply, "audit", parsed)
            try:
                state = self._apply("state", parsed)
            finally:
                failure = audit.exception()
            if failure is not None:
                raise failure
            return max(state, audit.result())

    def _recover(self) -> None:
        """After a failed batch (rolled back in one view or both): read again from the
        stored offsets."""
        self._forget()
        self._seek(list(self.consumer.assignment()))

    def _top_up(self, parsed: Parsed) -> None:
        """Add to a parsed batch what has come since it was polled, up to
        ``batch_size``, without waiting: larger batches cost less per event."""
        size = sum(len(items) for items in parsed.values())
        while size < self.batch_size:
            more = self.consumer.poll(timeout_ms=0, max_records=self.batch_size - size)
            if not more:
                return
            for partition, items in self._parse(more).items():
                parsed.setdefault(partition, []).extend(items)
                size += len(items)

    def _parse(self, batch: dict[TopicPartition, list[Any]]) -> Parsed:
        """Each message of a batch as a record or watermark, by partition (on the
        polling thread in ``run``, while the batch before it is applied), with the
        collector paused while they are built."""
        parsed: Parsed = {}
        with paused_gc():
            for tp, messages in batch.items():
                items: list[tuple[int, Record | Watermark | None]] = []
                for message in messages:
                    try:
                        items.append((message.offset, parse(message.value)))
                    except MalformedMessage as error:
                        log.warning(
                            "skipping a malformed message at %s/%s: %s",
                            tp.partition,
                            message.offset,
                            error,
                        )
                        items.append((message.offset, None))
                parsed[tp.partition] = items
        return parsed

    def _apply(self, name: str, parsed: Parsed) -> int:
        """Apply a batch to one view in its own transaction, from each partition's
        stored offset on (the other view may be ahead or behind), with its offsets."""
        view = getattr(self.models, name)
        with self.store.transaction(durable=False) as cursor:
            stored = self._offsets(cursor, name)
            records: list[Record] = []
            updates = []
            for partition, items in parsed.items():
                row = stored[partition]
                start = row["next_offset"]
                if items[0][0] > start:
                    raise Resync(f"{name}: partition {partition} is at {start}, not {items[0][0]}")
                if items[-1][0] < start:
                    continue  # this view has applied all of these already
                last, watermark = row["last_position"], row["watermark"]
                for offset, item in items:
                    if offset < start or item is None:
                        continue
                    if isinstance(item, Watermark):
                        watermark = max(watermark, item.position)
                    elif item.position > last:
                        records.append(item)
                        last = item.position
                updates.append((items[-1][0] + 1, last, watermark, partition, start))
            records.sort(key=lambda r: r.position)
            # a view is complete up to its own tracking position, whoever kept it: the
            # in-process follower before the workers took over, or a rebuild swapped in
            floor = self.store.position_in(cursor, view.tracking_name)
            fresh = [r for r in records if r.position > floor]
            view.apply(cursor, fresh)
            if self.before_commit:
                self.before_commit(name, records)
            for update in updates:
                cursor.execute(
                    f"UPDATE {OFFSETS} SET next_offset = %s, last_position = %s, "
                    "watermark = %s WHERE group_id = %s AND topic = %s AND view = %s "
                    "AND partition = %s AND next_offset = %s",
                    (*update[:3], self.group, self.topic, name, *update[3:]),
                )
                if cursor.rowcount != 1:
                    raise Resync(f"{name}: partition {update[3]} was moved on by another worker")
            if cursor.dialect == "postgres":
                # Workers of one group take turns from here to their commits, view by
                # view. Without it, two batches committing together each read the
                # other's partitions as they were before, the lowest watermark of both
                # stays behind, and the view's position with it until the next event
                # (SQLite writes one transaction at a time).
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    (f"{self.group}/{self.topic}/{name}",),
                )
            low = cursor.execute(
                f"SELECT MIN(watermark) AS low FROM {OFFSETS} "
                "WHERE group_id = %s AND topic = %s AND view = %s",
                (self.group, self.topic, name),
            ).fetchone()
            if self.before_track:
                self.before_track(name)
            self.store.advance(cursor, view.tracking_name, int(low["low"] if low else 0))
            return len(records)

    def run(self, stop: threading.Event, *, timeout_ms: int = 500) -> None:
        """Consume until ``stop`` is set. A failed batch is rolled back and read again
        from the stored offsets, so no error loses or doubles an event.

        The next batch is polled, and its messages parsed, while the views apply the
        current one (as the follower reads and decodes its next page); batches still
        commit one after another, each only after the one before it, and a batch polled
        behind a failed one is dropped, since the stored offsets no longer match it."""
        self.start()
        applying = ThreadPoolExecutor(max_workers=1, thread_name_prefix="views")
        try:
            while not stop.is_set():
                try:
                    batch = self.consumer.poll(timeout_ms=timeout_ms, max_records=self.batch_size)
                    parsed = self._parse(batch)
                    self._settle()
                    if parsed:
                        self._top_up(parsed)
                        self._in_flight = applying.submit(self._commit_parsed, parsed)
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
            self.close()
            self.consumer.close()

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


def create_offsets(cursor: Cursor) -> None:
    """The views' offsets table; offsets kept for both views at once by an earlier
    release are copied to each view (so nothing is applied twice), then dropped."""
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {OFFSETS} (group_id TEXT NOT NULL, topic TEXT NOT NULL, "
        "view TEXT NOT NULL, partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, "
        "last_position BIGINT NOT NULL, watermark BIGINT NOT NULL, "
        "PRIMARY KEY (group_id, topic, view, partition))"
    )
    legacy = (
        "SELECT to_regclass(%s) IS NOT NULL AS found"
        if cursor.dialect == "postgres"
        else "SELECT COUNT(*) > 0 AS found FROM sqlite_master WHERE type = 'table' AND name = %s"
    )
    found = cursor.execute(legacy, (LEGACY_OFFSETS,)).fetchone()
    if not found or not found["found"]:
        return
    for view in VIEWS:
        cursor.execute(
            f"INSERT INTO {OFFSETS} SELECT group_id, topic, %s, partition, next_offset, "
            f"last_position, watermark FROM {LEGACY_OFFSETS} WHERE true "
            "ON CONFLICT (group_id, topic, view, partition) DO NOTHING",
            (view,),
        )
    cursor.execute(f"DROP TABLE {LEGACY_OFFSETS}")
