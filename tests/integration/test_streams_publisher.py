"""The publisher on a real Kafka-protocol broker and the real PostgreSQL: every event
reaches the topic keyed by aggregate, in order, with the envelope a consumer needs; it
resumes where it stopped, survives kill -9 at its most fragile moment and broker outages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from eventlog.decoder import Decoder
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate
from streams.envelope import WATERMARK_SCHEMA
from streams.kafka import topic_producer
from streams.publisher import Publisher
from tests import faults
from tests.conftest import FakeClock, build_org, grant_token
from tests.integration.broker import Broker, broker_outage, read_topic, wait_until
from web import create_app

PARTITIONS = 6


@contextmanager
def relaying(publisher: Publisher, report: Callable[[str], None]) -> Iterator[None]:
    """The publisher running on a thread, as ``okr-ledger publish`` runs it."""
    stop = threading.Event()
    relay = threading.Thread(
        target=publisher.run, args=(stop,), kwargs={"poll": 0.05, "report": report}
    )
    relay.start()
    try:
        yield
    finally:
        stop.set()
        relay.join(timeout=30)


def publisher_for(services: Services, broker: Broker, topic: str, **options: Any) -> Publisher:
    return Publisher(
        services.ledger,
        services.read_models.store,
        lambda: topic_producer(broker.servers, topic, PARTITIONS, max_block_ms=3000),
        topic,
        **options,
    )


def events(messages: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    return [
        (message, orjson.loads(message.value))
        for message in messages
        if dict(message.headers).get("okr-kind") == b"event"
    ]


def positions_through(head: int) -> Any:
    """A ``done`` condition: every position up to ``head`` has arrived."""
    return lambda messages: (
        {body["position"] for _, body in events(messages)} >= set(range(1, head + 1))
    )


def check_order(messages: list[Any]) -> int:
    """Each aggregate's events sit in one partition, versions rising one by one; a repeat
    is byte-for-byte the earlier message. Returns the number of repeats."""
    partition_of: dict[str, int] = {}
    seen: dict[tuple[str, int], bytes] = {}
    last: dict[str, int] = defaultdict(int)
    repeats = 0
    for message, body in sorted(events(messages), key=lambda e: (e[0].partition, e[0].offset)):
        aggregate, version = body["aggregate_id"], body["version"]
        assert message.key == aggregate.encode()
        assert partition_of.setdefault(aggregate, message.partition) == message.partition
        if (aggregate, version) in seen:
            assert seen[aggregate, version] == message.value, "a repeat differs"
            repeats += 1
            continue
        assert version == last[aggregate] + 1, f"{aggregate}: {version} after {last[aggregate]}"
        last[aggregate] = version
        seen[aggregate, version] = message.value
    return repeats


def check_watermarks(messages: list[Any]) -> None:
    """A watermark in a partition comes after the first copy of every event of that
    partition up to its position (repeats after a crash may follow it)."""
    by_partition: dict[int, list[Any]] = defaultdict(list)
    for message in messages:
        by_partition[message.partition].append(message)
    for items in by_partition.values():
        first: dict[int, int] = {}  # position -> offset of its first copy
        marks: list[tuple[int, int]] = []  # (offset, position) of each watermark
        for message in sorted(items, key=lambda item: item.offset):
            body = orjson.loads(message.value)
            if body["schema"] == WATERMARK_SCHEMA:
                marks.append((message.offset, body["position"]))
            else:
                first.setdefault(body["position"], message.offset)
        for offset, position in marks:
            late = sorted(p for p, o in first.items() if p <= position and o > offset)
            assert not late, f"events {late} came after the watermark {position}"


def test_publishing_the_demo_puts_every_event_on_the_topic_with_its_envelope(
    pg_url: str, broker: Broker, topic: str
) -> None:
    services = bootstrap(Settings(database_url=pg_url))
    try:
        demo.load(services)
        head = services.ledger.head_position()
        with closing(publisher_for(services, broker, topic, batch_size=100)) as publisher:
            assert publisher.lag() == head
            assert publisher.publish_all() == head
            assert publisher.position() == head
            assert publisher.lag() == 0
        records = {
            r.position: r
            for r in Decoder.of(services.ledger).page(
                services.ledger.chained_recorder.read_page(0, head + 1, head)
            )
        }
        leaves = {
            leaf.position: leaf
            for leaf in services.ledger.chained_recorder.select_leaves_by_position(0, head)
        }
    finally:
        services.close()

    messages = read_topic(broker.servers, topic, positions_through(head))
    published = events(messages)
    assert len(published) == head, "a clean run publishes each event once"
    assert check_order(messages) == 0
    check_watermarks(messages)
    for message, body in published:
        record = records[body["position"]]
        headers = dict(message.headers)
        assert body["schema"] == "okr-ledger.event/2"
        assert body["event_type"] == record.event_type
        assert headers["okr-event-type"] == record.event_type.encode()
        assert headers["okr-aggregate-id"] == record.aggregate_id.encode()
        assert headers["okr-version"] == str(record.version).encode()
        assert headers["okr-position"] == str(record.position).encode()
        assert body["actor"] == record.actor
        assert body["correlation_id"] == record.correlation_id
        assert body["payload"] == record.data
        assert body["leaf_index"] == leaves[record.position].index
        assert body["leaf_hash"] == leaves[record.position].hash.hex()
        assert headers["okr-leaf-index"] == str(leaves[record.position].index).encode()
    watermarks = [
        (message.partition, orjson.loads(message.value)["position"])
        for message in messages
        if dict(message.headers).get("okr-kind") == b"watermark"
    ]
    assert {p for p, position in watermarks if position == head} == set(range(PARTITIONS))


def test_the_publisher_resumes_after_its_stored_position_without_repeating(
    pg_url: str, broker: Broker, topic: str
) -> None:
    services = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    try:
        org = build_org(services.bus)
        first = services.ledger.head_position()
        with closing(publisher_for(services, broker, topic)) as publisher:
            assert publisher.publish_all() == first
        kr = org.key_result(org.objective())
        head = services.ledger.head_position()
        with closing(publisher_for(services, broker, topic)) as again:  # a new process
            assert again.position() == first
            assert again.publish_all() == head - first
            assert again.publish_all() == 0
    finally:
        services.close()
    messages = read_topic(broker.servers, topic, positions_through(head))
    assert sorted(body["position"] for _, body in events(messages)) == list(range(1, head + 1))
    assert any(body["aggregate_id"] == str(kr) for _, body in events(messages))


def children_of(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def kafka_env(broker: Broker, topic: str) -> dict[str, str]:
    return {
        **os.environ,
        "OKR_LEDGER_KAFKA_BOOTSTRAP_SERVERS": broker.servers,
        "OKR_LEDGER_KAFKA_TOPIC": topic,
    }


def publisher_process(url: str, broker: Broker, topic: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "okr_ledger", "--database-url", url, "publish", *args],
        env=kafka_env(broker, topic), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.slow
def test_a_publisher_killed_between_acknowledgement_and_record_while_the_demo_runs_loses_nothing(
    pg_url: str, broker: Broker, topic: str
) -> None:
    services = bootstrap(Settings(database_url=pg_url))  # the schema exists before anyone races
    store = services.read_models.store
    tracking = f"publisher@{topic}"
    env = kafka_env(broker, topic)
    try:
        writer = subprocess.Popen(
            [sys.executable, "-m", "okr_ledger", "--database-url", pg_url, "demo", "--quiet"],
            stdout=subprocess.DEVNULL,
        )
        more = threading.Thread(  # a second writer, so the log grows while the kills go on
            target=lambda: all(generate(services.ledger, cycles=1, teams=40, batch=200))
        )
        more.start()
        reached = [0]
        orphans: set[int] = set()
        for pages in (1, 2, 3, 1, 2, 3, 1, 2):  # pages recorded before one dies unrecorded
            process = subprocess.Popen(
                faults.command("publisher", pages + 1, pg_url, "publish", "--batch-size", "20"),
                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                faults.wait_until_paused(process)
                helpers = children_of(process.pid)  # its page reader
            finally:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                process.stdout.close()  # type: ignore[union-attr]
            reached.append(store.position(tracking))
            orphans.update(helpers)
        assert helpers, "the publisher reads its pages in a process of its own"
        assert writer.wait(timeout=120) == 0
        more.join()
        head = services.ledger.head_position()
        assert reached == sorted(set(reached)), f"each life recorded pages: {reached}"
        assert reached[-1] < head, f"the last kill left work undone: {reached} of {head}"
        deadline = time.monotonic() + 10
        while orphans and time.monotonic() < deadline:
            orphans = {pid for pid in orphans if Path(f"/proc/{pid}").exists()}
            time.sleep(0.2)
        assert not orphans, "a killed publisher's page reader outlived it"
        assert publisher_process(pg_url, broker, topic, "--once").wait(timeout=120) == 0
        assert store.position(tracking) == head
    finally:
        services.close()

    messages = read_topic(broker.servers, topic, positions_through(head), timeout=60)
    repeats = check_order(messages)
    check_watermarks(messages)
    assert {body["position"] for _, body in events(messages)} == set(range(1, head + 1))
    assert len(events(messages)) == head + repeats


@broker_outage
def test_while_the_broker_is_down_the_api_accepts_commands_and_the_publisher_catches_up(
    pg_url: str, own_broker: Broker, topic: str
) -> None:
    services = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    try:
        grant_token(services.bus, "t")
        org = build_org(services.bus)
        kr = org.key_result(org.objective())
        publisher = publisher_for(services, own_broker, topic, ack_timeout=2.0)
        lines: list[str] = []
        with relaying(publisher, lines.append):
            wait_until(lambda: publisher.lag() == 0, 30, "the publisher catches up")
            before = publisher.position()

            own_broker.kill()
            client = create_app(services, {"TESTING": True}).test_client()
            for week in range(5):
                response = client.post(
                    f"/api/v1/key-results/{kr}/check-ins",
                    json={"value": 40 + week, "confidence": "on_track"},
                    headers={"Authorization": "Bearer t"},
                )
                assert response.status_code == 201, response.json
            head = services.ledger.head_position()
            wait_until(
                lambda: any("broker unavailable" in line for line in lines),
                20,
                "the publisher reports the outage",
            )
            assert publisher.position() == before, "nothing is recorded as published meanwhile"

            own_broker.start()  # an empty broker: the publisher makes the topic again
            wait_until(lambda: publisher.position() == head, 60, "the publisher catches up")
    finally:
        services.close()
    messages = read_topic(
        own_broker.servers,
        topic,
        lambda got: {b["position"] for _, b in events(got)} >= set(range(before + 1, head + 1)),
    )
    check_order_from = {b["position"] for _, b in events(messages)}
    assert check_order_from == set(range(before + 1, head + 1))


@broker_outage
def test_a_paused_broker_delays_publishing_and_loses_nothing(
    pg_url: str, own_broker: Broker, topic: str
) -> None:
    services = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    try:
        org = build_org(services.bus)
        publisher = publisher_for(services, own_broker, topic, ack_timeout=2.0)
        with relaying(publisher, lambda _: None):
            own_broker.pause()
            org.key_result(org.objective())
            head = services.ledger.head_position()
            time.sleep(3)
            assert publisher.position() < head
            own_broker.resume()
            wait_until(lambda: publisher.position() == head, 60, "the publisher catches up")
    finally:
        services.close()
    messages = read_topic(own_broker.servers, topic, positions_through(head))
    check_order(messages)
    check_watermarks(messages)
    assert {b["position"] for _, b in events(messages)} == set(range(1, head + 1))
