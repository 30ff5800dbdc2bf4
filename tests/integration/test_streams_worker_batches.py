"""Projection workers handed batches directly, on the real PostgreSQL (no broker): each
view keeps offsets of its own, resumes from them alone when the other committed a batch
it failed, takes over the offsets an earlier release kept for both views, and takes
turns with other workers in tracking the lowest watermark."""

from __future__ import annotations

import threading
import time
from typing import Any, NamedTuple
from uuid import uuid4

import pytest
from kafka import TopicPartition

from eventlog.decoder import Decoder
from eventlog.record import Record
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from streams.envelope import event_message, watermark_message
from streams.worker import LEGACY_OFFSETS, OFFSETS, ProjectionWorker
from tests.integration.broker import wait_until
from tests.integration.conftest import assert_equal_to_a_clean_rebuild, pg_connect


class Message(NamedTuple):
    offset: int
    value: bytes


class Assigned:
    """What a worker asks of its consumer outside ``poll``: the topic's partitions, all
    assigned to it, and where it last sought each."""

    def __init__(self, partitions: int) -> None:
        self.partitions = set(range(partitions))
        self.sought: dict[int, int] = {}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("any", p) for p in self.partitions}

    def seek(self, partition: Any, offset: int) -> None:
        self.sought[partition.partition] = offset


def test_two_workers_whose_last_batches_commit_together_track_the_lowest_watermark(
    pg_url: str, topic: str
) -> None:
    """The first worker reads the lowest watermark and is held there, before its commit;
    the second then commits its own last batch. Each read the other's partition as it
    was before, unless they take turns: the views would stay at position 0 although
    every partition is marked up to the head."""
    services = bootstrap(Settings(database_url=pg_url))
    try:
        demo.load(services)
        ledger = services.ledger
        head = ledger.head_position()
        records = Decoder.of(ledger).page(ledger.chained_recorder.read_page(0, head, head))
        group = f"views-{uuid4().hex[:8]}"
        theirs = [bootstrap(Settings(database_url=pg_url)) for _ in range(2)]
        first, second = (
            ProjectionWorker(s.read_models, Assigned(2), topic, group) for s in theirs
        )
        for member in (first, second):
            member._seek([TopicPartition(topic, 0), TopicPartition(topic, 1)])
        events = [Message(n, event_message(r, None, None)[1]) for n, r in enumerate(records)]
        marked = watermark_message(head)[0]
        batches = {
            first: {TopicPartition(topic, 0): [*events, Message(len(events), marked)]},
            second: {TopicPartition(topic, 1): [Message(0, marked)]},
        }
        held, release = threading.Event(), threading.Event()

        def hold(view: str) -> None:
            held.set()
            release.wait(30)

        first.before_track = hold
        done = {}

        def commit(member: ProjectionWorker) -> None:
            done[member] = member._commit(batches[member])

        threads = {m: threading.Thread(target=commit, args=(m,)) for m in (first, second)}
        threads[first].start()
        assert held.wait(30), "the first worker reached its lowest watermark"
        threads[second].start()
        wait_until_finished_or_waiting_on_a_lock(threads[second], pg_url)
        release.set()
        for thread in threads.values():
            thread.join(30)

        for own in theirs:
            own.close()
        assert done == {first: head, second: 0}
        assert services.read_models.position() == head
    finally:
        services.close()


def wait_until_finished_or_waiting_on_a_lock(thread: threading.Thread, pg_url: str) -> None:
    deadline = time.monotonic() + 30
    with pg_connect() as admin:
        while thread.is_alive():
            waiting = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%%pg_advisory_xact_lock%%'"
            ).fetchone()
            if waiting and waiting[0]:
                return
            assert time.monotonic() < deadline, "the second worker neither ended nor waited"
            time.sleep(0.01)


@pytest.fixture
def demo_log(pg_url: str) -> Any:
    """The demo in the ledger; (services, its records in log order)."""
    services = bootstrap(Settings(database_url=pg_url))
    try:
        demo.load(services)
        ledger = services.ledger
        head = ledger.head_position()
        yield services, Decoder.of(ledger).page(ledger.chained_recorder.read_page(0, head, head))
    finally:
        services.close()


def one_partition(topic: str, records: list[Record], *, first: int = 0) -> dict[Any, Any]:
    """A batch on partition 0: the records at offsets from ``first``, then a watermark
    at the last one's position."""
    messages = [Message(first + n, event_message(r, None, None)[1]) for n, r in enumerate(records)]
    marked = watermark_message(records[-1].position)[0]
    return {TopicPartition(topic, 0): [*messages, Message(first + len(records), marked)]}


def stored_offsets(services: Services, group: str) -> dict[str, int]:
    with services.read_models.store.transaction() as cursor:
        rows = cursor.execute(
            f"SELECT view, next_offset FROM {OFFSETS} WHERE group_id = %s AND partition = 0",
            (group,),
        ).fetchall()
    return {row["view"]: row["next_offset"] for row in rows}


def test_a_view_that_failed_a_batch_the_other_view_committed_applies_it_alone_on_retry(
    pg_url: str, topic: str, demo_log: tuple[Services, list[Record]]
) -> None:
    services, records = demo_log
    half = len(records) // 2
    batches = [
        one_partition(topic, records[:half]),
        one_partition(topic, records[half:], first=half + 1),
    ]
    group = f"views-{uuid4().hex[:8]}"
    own = bootstrap(Settings(database_url=pg_url))
    consumer = Assigned(1)
    member = ProjectionWorker(own.read_models, consumer, topic, group)
    try:
        member._seek([TopicPartition(topic, 0)])

        def the_state_view_fails_its_first_batch(view: str, batch: list[Record]) -> None:
            if view == "state":
                member.before_commit = None
                raise RuntimeError("the state view fails mid-batch")

        member.before_commit = the_state_view_fails_its_first_batch
        with pytest.raises(RuntimeError):
            member._commit(batches[0])
        assert stored_offsets(services, group) == {"audit": half + 1, "state": 0}
        member._recover()
        assert consumer.sought == {0: 0}, "read again from the view that is behind"
        assert member._commit(batches[0]) == half  # the state view's; the audit skips them
        assert stored_offsets(services, group) == {"audit": half + 1, "state": half + 1}
        assert member._commit(batches[1]) == len(records) - half
    finally:
        member.close()
        own.close()
    models = services.read_models
    assert models.position() == records[-1].position
    with models.reading() as cursor:
        assert models.audit.count(cursor, "events") == len(records), "no event twice"
    assert_equal_to_a_clean_rebuild(services)


def test_offsets_kept_for_both_views_by_an_earlier_release_become_each_views_own(
    pg_url: str, topic: str, demo_log: tuple[Services, list[Record]]
) -> None:
    services, records = demo_log
    half = len(records) // 2
    group = f"views-{uuid4().hex[:8]}"
    own = bootstrap(Settings(database_url=pg_url))
    first = ProjectionWorker(own.read_models, Assigned(1), topic, group)
    first._seek([TopicPartition(topic, 0)])
    first._commit(one_partition(topic, records[:half]))
    first.close()
    with services.read_models.store.transaction() as cursor:  # as the earlier release kept them
        cursor.execute(f"DROP TABLE {OFFSETS}")
        cursor.execute(
            f"CREATE TABLE {LEGACY_OFFSETS} (group_id TEXT NOT NULL, topic TEXT NOT NULL, "
            "partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, "
            "last_position BIGINT NOT NULL, watermark BIGINT NOT NULL, "
            "PRIMARY KEY (group_id, topic, partition))"
        )
        cursor.execute(
            f"INSERT INTO {LEGACY_OFFSETS} VALUES (%s, %s, 0, %s, %s, %s)",
            (group, topic, half + 1, records[half - 1].position, records[half - 1].position),
        )
    consumer = Assigned(1)
    upgraded = ProjectionWorker(own.read_models, consumer, topic, group)
    try:
        upgraded._seek([TopicPartition(topic, 0)])
        assert consumer.sought == {0: half + 1}, "it carries on where the earlier one stopped"
        assert stored_offsets(services, group) == {"audit": half + 1, "state": half + 1}
        upgraded._commit(one_partition(topic, records[half:], first=half + 1))
        with own.read_models.store.transaction() as cursor:
            gone = cursor.execute("SELECT to_regclass(%s) AS t", (LEGACY_OFFSETS,)).fetchone()
        assert gone is not None
        assert gone["t"] is None, "the old table is dropped"
    finally:
        upgraded.close()
        own.close()
    models = services.read_models
    with models.reading() as cursor:
        assert models.audit.count(cursor, "events") == len(records), "no event twice"
    assert_equal_to_a_clean_rebuild(services)


class Trickling(Assigned):
    """A consumer of one partition that hands out a batch's messages a few at a time,
    at once on every poll, then nothing."""

    def __init__(self, messages: list[Message], topic: str, per_poll: int) -> None:
        super().__init__(1)
        self.messages, self.topic, self.per_poll = messages, topic, per_poll
        self.listener: Any = None

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[Any, Any]:
        partition = TopicPartition(self.topic, 0)
        if self.listener is not None:  # the first poll joins the group
            listener, self.listener = self.listener, None
            listener.on_partitions_assigned([partition])
        start = self.sought.get(0, 0)
        taken = self.messages[start : start + min(self.per_poll, max_records or self.per_poll)]
        if not taken:
            time.sleep(timeout_ms / 1000)
            return {}
        self.sought[0] = start + len(taken)
        return {partition: taken}

    def close(self) -> None:
        pass


def test_a_worker_fills_each_batch_with_what_has_come_since_it_polled(
    pg_url: str, topic: str, demo_log: tuple[Services, list[Record]]
) -> None:
    services, records = demo_log
    messages = one_partition(topic, records)[TopicPartition(topic, 0)]
    own = bootstrap(Settings(database_url=pg_url))
    member = ProjectionWorker(
        own.read_models, Trickling(messages, topic, per_poll=10), topic,
        f"views-{uuid4().hex[:8]}", batch_size=50,
    )  # fmt: skip
    applied: list[int] = []
    member.before_commit = lambda view, batch: (
        applied.append(len(batch)) if view == "state" else None
    )
    stop = threading.Event()
    runner = threading.Thread(target=member.run, args=(stop,), kwargs={"timeout_ms": 10})
    runner.start()
    try:
        wait_until(
            lambda: services.read_models.position() == records[-1].position, 60, "the views"
        )
    finally:
        stop.set()
        runner.join(30)
        own.close()
    assert sum(applied) == len(records)
    assert all(size == 50 for size in applied[:-1]), f"batches of {applied}, not of 50"
    assert_equal_to_a_clean_rebuild(services)
