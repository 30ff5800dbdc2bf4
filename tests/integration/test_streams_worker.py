"""Projection workers on a real Kafka-protocol broker and the real PostgreSQL: several
workers share the partitions and build exactly the views a clean rebuild from the log
builds, through repeated messages, failed batches and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import uuid4

import pytest

from commands import messages as m
from commands.principals import Principal
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate
from projections.rebuild import rebuild
from streams.fetching import FetchingConsumer
from streams.kafka import consumer, topic_producer
from streams.publisher import Publisher
from streams.worker import OFFSETS, ProjectionWorker
from tests import faults
from tests.integration.broker import FAST_GROUP, Broker
from tests.integration.conftest import assert_equal_to_a_clean_rebuild

PARTITIONS = 6


def publish(services: Services, broker: Broker, topic: str) -> int:
    publisher = Publisher(
        services.ledger,
        services.read_models.store,
        lambda: topic_producer(broker.servers, topic, PARTITIONS),
        topic,
        batch_size=500,
    )
    try:
        publisher.publish_all()
        return publisher.position()
    finally:
        publisher.close()  # its producer's sockets, not left to the garbage collector


def worker(
    url: str, broker: Broker, topic: str, group: str, *, fetching: bool = False, **options: Any
) -> ProjectionWorker:
    """A worker on its own services; ``fetching``: its consumer fetches in a process of
    its own, as ``okr-ledger project --from-kafka`` runs it."""
    services = bootstrap(Settings(database_url=url))
    make = partial(consumer, broker.servers, group, **FAST_GROUP)
    member = FetchingConsumer(make) if fetching else make()
    made = ProjectionWorker(services.read_models, member, topic, group, **options)
    made.services = services  # type: ignore[attr-defined]
    return made


@contextmanager
def running(*workers: ProjectionWorker) -> Iterator[None]:
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        for w in workers:
            w.services.close()  # type: ignore[attr-defined]


def wait_for_position(services: Services, head: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while services.read_models.position() < head:
        assert time.monotonic() < deadline, (
            f"the views reached {services.read_models.position()} of {head}"
        )
        time.sleep(0.1)


@pytest.fixture
def published_demo(pg_url: str, broker: Broker, topic: str) -> Iterator[tuple[Services, int]]:
    """The demo in the ledger and on the topic; (services, head position)."""
    services = bootstrap(Settings(database_url=pg_url))
    try:
        demo.load(services)
        yield services, publish(services, broker, topic)
    finally:
        services.close()


FETCHING = pytest.mark.parametrize(
    "fetching", [False, True], ids=["fetching on a thread", "fetching in a process"]
)


@FETCHING
def test_two_workers_sharing_the_partitions_build_what_a_clean_rebuild_builds(
    pg_url: str, broker: Broker, topic: str, published_demo: tuple[Services, int], fetching: bool
) -> None:
    services, head = published_demo
    group = f"views-{uuid4().hex[:8]}"
    first = worker(pg_url, broker, topic, group, batch_size=50, fetching=fetching)
    second = worker(pg_url, broker, topic, group, batch_size=50, fetching=fetching)
    with running(first, second):
        wait_for_position(services, head)
        assignments = [w.consumer.assignment() for w in (first, second)]
    assert all(assignments), "both workers hold partitions"
    assert_equal_to_a_clean_rebuild(services)


def test_messages_the_publisher_repeats_are_applied_once(
    pg_url: str, broker: Broker, topic: str, published_demo: tuple[Services, int]
) -> None:
    services, head = published_demo
    store = services.read_models.store
    with store.transaction() as cursor:  # as if it crashed before recording anything
        store.forget_tracking(cursor, f"publisher@{topic}")
    assert publish(services, broker, topic) == head  # every event now sits there twice
    with running(worker(pg_url, broker, topic, f"views-{uuid4().hex[:8]}")):
        wait_for_position(services, head)
    models = services.read_models
    with models.reading() as cursor:
        assert models.audit.count(cursor, "events") == head
    assert_equal_to_a_clean_rebuild(services)


@FETCHING
def test_a_worker_whose_batch_fails_before_commit_rolls_it_back_and_reads_it_again(
    pg_url: str, broker: Broker, topic: str, published_demo: tuple[Services, int], fetching: bool
) -> None:
    services, head = published_demo
    group = f"views-{uuid4().hex[:8]}"
    failing = worker(pg_url, broker, topic, group, batch_size=40, fetching=fetching)
    batches: list[int] = []
    failures: list[int] = []

    def crash_on_the_second_fourth_and_fifth_batch(view: str, records: list[Any]) -> None:
        if view != "state" or not records:
            return  # watermarks only
        batches.append(records[0].position)
        if len(batches) in (2, 4, 5):
            failures.append(records[0].position)
            raise RuntimeError("the worker fails mid-batch")

    failing.before_commit = crash_on_the_second_fourth_and_fifth_batch
    with running(failing):
        wait_for_position(services, head)
    assert len(failures) == 3, f"the faults were injected: {failures}"
    assert_equal_to_a_clean_rebuild(services)


def test_a_worker_whose_fetching_process_dies_starts_another_and_builds_the_clean_views(
    pg_url: str, broker: Broker, topic: str, published_demo: tuple[Services, int]
) -> None:
    services, head = published_demo
    member = worker(
        pg_url, broker, topic, f"views-{uuid4().hex[:8]}", batch_size=40, fetching=True
    )
    fetching = member.consumer
    killed: list[int] = []

    def kill_the_fetching_process_during_the_second_batch(view: str, records: list[Any]) -> None:
        if view == "state" and records and not killed and consumed(services, member.group) > 0:
            child = fetching._child  # the batch before this one has committed
            os.kill(child.pid, signal.SIGKILL)
            child.join()
            killed.append(child.pid)

    member.before_commit = kill_the_fetching_process_during_the_second_batch
    with running(member):
        wait_for_position(services, head)
        assert killed, "the fetching process was killed"
        assert fetching._child.pid not in killed, "another process fetches now"
    assert_equal_to_a_clean_rebuild(services)


def consumed(services: Services, group: str) -> int:
    """How many messages the group has applied, over all partitions."""
    store = services.read_models.store
    with store.transaction() as cursor:
        exists = cursor.execute("SELECT to_regclass(%s) AS t", (OFFSETS,)).fetchone()
        if not exists or exists["t"] is None:
            return 0
        row = cursor.execute(
            f"SELECT COALESCE(SUM(next_offset), 0) AS n FROM {OFFSETS} WHERE group_id = %s",
            (group,),
        ).fetchone()
    return int(row["n"]) if row else 0


def worker_env(broker: Broker, topic: str, group: str) -> dict[str, str]:
    return {
        **os.environ,
        "OKR_LEDGER_KAFKA_BOOTSTRAP_SERVERS": broker.servers,
        "OKR_LEDGER_KAFKA_TOPIC": topic,
        "OKR_LEDGER_KAFKA_VIEWS_GROUP": group,
        "OKR_LEDGER_KAFKA_SESSION_TIMEOUT_MS": "3000",
    }


WORKER = ("project", "--from-kafka", "--batch-size", "50")


def children_of(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended meanwhile
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def wait_until_gone(pids: set[int], timeout: float = 30.0) -> None:
    """Wait for processes to end (an orphan is reaped by init); fail if one lives on."""
    deadline = time.monotonic() + timeout
    while alive := {p for p in pids if os.path.exists(f"/proc/{p}")}:
        assert time.monotonic() < deadline, f"processes outlived their parent: {alive}"
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_resumes_to_what_a_clean_rebuild_builds(
    pg_url: str, broker: Broker, topic: str
) -> None:
    services = bootstrap(Settings(database_url=pg_url))
    try:
        for _ in generate(services.ledger, cycles=1, teams=40):
            pass
        services.read_models.refresh()
        head = publish(services, broker, topic)
        group = f"views-{uuid4().hex[:8]}"
        env = worker_env(broker, topic, group)
        reached = [0]
        for batches in (1, 3, 2, 4):  # commit this many batches, die inside the next
            process = subprocess.Popen(
                faults.command("worker", batches + 1, pg_url, *WORKER),
                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                faults.wait_until_paused(process)
                assert services.read_models.position() < head
                fetching = children_of(process.pid)
                assert fetching, "the worker fetches in a process of its own"
            finally:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                process.stdout.close()  # type: ignore[union-attr]
            wait_until_gone(fetching)  # no orphan left holding partitions in the group
            reached.append(consumed(services, group))
        last = subprocess.Popen(
            [sys.executable, "-m", "okr_ledger", "--database-url", pg_url, *WORKER],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            assert last.stderr is not None
            assert b"keeping the read models" in last.stderr.readline()  # it is running
            wait_for_position(services, head, timeout=120)
        finally:
            last.send_signal(signal.SIGTERM)
            assert last.wait(timeout=30) == 0, "SIGTERM stops a worker cleanly"
            last.stderr.close()
        total = consumed(services, group)
        assert reached == sorted(set(reached)), f"each life committed batches: {reached}"
        assert reached[-1] < total, f"the last kill left work undone: {reached} of {total}"
        assert_equal_to_a_clean_rebuild(services)
    finally:
        services.close()


def test_a_worker_takes_over_views_the_in_process_follower_kept_halfway(
    pg_url: str, broker: Broker, topic: str, published_demo: tuple[Services, int]
) -> None:
    services, head = published_demo
    models = services.read_models
    models.follower().catch_up(until=head // 2)
    assert models.position() == head // 2
    with running(worker(pg_url, broker, topic, f"views-{uuid4().hex[:8]}")):
        wait_for_position(services, head)
    assert_equal_to_a_clean_rebuild(services)


def test_a_worker_carries_on_into_tables_a_rebuild_swapped_in(
    pg_url: str, broker: Broker, topic: str, published_demo: tuple[Services, int]
) -> None:
    services, head = published_demo
    running_worker = worker(pg_url, broker, topic, f"views-{uuid4().hex[:8]}")
    with running(running_worker):
        wait_for_position(services, head)
        models = services.read_models
        swapped = rebuild(models, ["audit", "state"])
        assert all(r.swapped and r.identical for r in swapped)  # type: ignore[union-attr]
        for quarter, starts in ((1, date(2027, 1, 1)), (2, date(2027, 4, 1))):  # more events
            services.bus.handle(
                m.OpenCycle(
                    key=f"2027-Q{quarter}",
                    name=f"Q{quarter} 2027",
                    starts_on=starts,
                    ends_on=starts + timedelta(days=89),
                ),
                Principal("root", "admin"),
            )
        later = publish(services, broker, topic)
        assert later > head
        wait_for_position(services, later)
    assert_equal_to_a_clean_rebuild(services)
