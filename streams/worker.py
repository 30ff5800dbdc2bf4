"""A projection worker: a consumer-group member that keeps the read models in the
database from the events topic.

Several workers share the topic's partitions. Each stores, per partition, the next
offset to read, the highest log position applied and the last watermark seen, in the
same transaction as the view updates it makes from those messages (exactly once). It
reads its partitions from those stored offsets, never from the broker's committed ones,
and advances a stored offset only from the value it read (compare and set), so a worker
that lost a partition in a rebalance cannot write for it twice. Messages repeated by the
publisher (positions a partition has already passed) are dropped.

The read models' tracking position becomes the lowest watermark over all partitions:
every event up to it has been applied, whichever partition it went to. Events at or
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

OFFSETS = "rm_kafka_offsets"


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
        self.before_track: Any = None
        """a hook for tests: called once the lowest watermark is read, before it is tracked"""
        self._in_flight: Future[int] | None = None
        """the batch being applied while the next one is polled (in ``run``)"""
        with self.store.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {OFFSETS} (group_id TEXT NOT NULL, "
                "topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, "
                "last_position BIGINT NOT NULL, watermark BIGINT NOT NULL, "
                "PRIMARY KEY (group_id, topic, partition))"
            )

    def start(self) -> None:
        self.consumer.subscribe([self.topic], listener=self)

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
        """Move the partitions to their stored offsets. This runs in the rebalance
        listener, which kafka-python calls inline on its own loop, heartbeats included:
        it must be short, so its rows (zeros for partitions never seen) commit without
        waiting for the disk, like the batches' own offsets (a crash loses nothing the
        next seek does not write again)."""
        every = sorted(self.consumer.partitions_for_topic(self.topic) or ())
        with self.store.transaction(durable=False) as cursor:
            for number in every:  # a row per partition, so the lowest watermark is right
                cursor.execute(
                    f"INSERT INTO {OFFSETS} VALUES (%s, %s, %s, 0, 0, 0) "
                    "ON CONFLICT (group_id, topic, partition) DO NOTHING",
                    (self.group, self.topic, number),
                )
            stored = self._offsets(cursor)
        for tp in partitions:
            self.consumer.seek(tp, stored[tp.partition]["next_offset"])

    def _offsets(self, cursor: Cursor) -> dict[int, dict[str, Any]]:
        rows = cursor.execute(
            f"SELECT * FROM {OFFSETS} WHERE group_id = %s AND topic = %s",
            (self.group, self.topic),
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
        """Apply one polled batch in one transaction with the offsets it moves."""
        self.models.refresh()  # a rebuild may have swapped in new tables
        with paused_gc(), self.store.transaction(durable=False) as cursor:
            return self._apply(cursor, batch)

    def _recover(self) -> None:
        """After a failed batch (rolled back): read again from the stored offsets."""
        self._forget()
        self._seek(list(self.consumer.assignment()))

    def _apply(self, cursor: Cursor, batch: dict[TopicPartition, list[Any]]) -> int:
        stored = self._offsets(cursor)
        records: list[Record] = []
        updates = []
        for tp, messages in batch.items():
            row = stored[tp.partition]
            if messages[0].offset != row["next_offset"]:
                raise Resync(
                    f"partition {tp.partition} is at {row['next_offset']}, "
                    f"not {messages[0].offset}"
                )
            last, watermark = row["last_position"], row["watermark"]
            for message in messages:
                try:
                    item = parse(message.value)
                except MalformedMessage as error:
                    log.warning(
                        "skipping a malformed message at %s/%s: %s",
                        tp.partition,
                        message.offset,
                        error,
                    )
                    continue
                if isinstance(item, Watermark):
                    watermark = max(watermark, item.position)
                elif item.position > last:
                    records.append(item)
                    last = item.position
            updates.append(
                (messages[-1].offset + 1, last, watermark, tp.partition, row["next_offset"])
            )
        records.sort(key=lambda r: r.position)
        for view in (self.models.audit, self.models.state):
            # a view is complete up to its own tracking position, whoever kept it: the
            # in-process follower before the workers took over, or a rebuild swapped in
            floor = self.store.position_in(cursor, view.tracking_name)
            view.apply(cursor, [r for r in records if r.position > floor])
        if self.before_commit:
            self.before_commit(records)
        for update in updates:
            cursor.execute(
                f"UPDATE {OFFSETS} SET next_offset = %s, last_position = %s, watermark = %s "
                "WHERE group_id = %s AND topic = %s AND partition = %s AND next_offset = %s",
                (*update[:3], self.group, self.topic, *update[3:]),
            )
            if cursor.rowcount != 1:
                raise Resync(f"partition {update[3]} was moved on by another worker")
        if cursor.dialect == "postgres":
            # Workers of one group take turns from here to their commits. Without it, two
            # batches committing together each read the other's partitions as they were
            # before, the lowest watermark of both stays behind, and the views' position
            # with it until the next event (SQLite writes one transaction at a time).
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.group}/{self.topic}",)
            )
        low = cursor.execute(
            f"SELECT MIN(watermark) AS low FROM {OFFSETS} WHERE group_id = %s AND topic = %s",
            (self.group, self.topic),
        ).fetchone()
        if self.before_track:
            self.before_track()
        for view in (self.models.audit, self.models.state):
            self.store.advance(cursor, view.tracking_name, int(low["low"] if low else 0))
        return len(records)

    def run(self, stop: threading.Event, *, timeout_ms: int = 500) -> None:
        """Consume until ``stop`` is set. A failed batch is rolled back and read again
        from the stored offsets, so no error loses or doubles an event.

        The next batch is polled (and its messages decoded by the Kafka client) while
        the database applies the current one; batches still commit one after another,
        each only after the one before it, and a batch polled behind a failed one is
        dropped, since the stored offsets no longer match it."""
        self.start()
        applying = ThreadPoolExecutor(max_workers=1, thread_name_prefix="views")
        try:
            while not stop.is_set():
                try:
                    batch = self.consumer.poll(timeout_ms=timeout_ms, max_records=self.batch_size)
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
