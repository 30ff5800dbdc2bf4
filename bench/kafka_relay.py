"""The streams' speed on PostgreSQL and a real Kafka-protocol broker.

1. Relay: the publisher moving a generated log to the events topic (read a page of the
   log, build the envelopes, send, wait for every acknowledgement, write watermarks,
   record its position), next to a raw kafka-python producer sending the very same
   messages, prepared in memory beforehand, with the same producer settings.
2. Catch-up: one projection worker building both read models from the topic (its
   consumer fetching in a process of its own, as ``okr-ledger project --from-kafka``
   runs it, then the same worker fetching on a thread), next to a bare consumer reading
   the same messages and doing nothing with them, and to the in-process follower
   building the same views from the log. The three catch-ups run ``--repeat`` times by
   turns, and the medians are compared.

Every figure comes from the same run on the same machine. The broker is ``--bootstrap``
or, by default, the Tansu binary of the test extras on a free loopback port (memory
storage). Run: ``python -m bench.kafka_relay [--cycles 4] [--teams 160]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from functools import partial
from uuid import uuid4

import psycopg
from kafka import KafkaConsumer, TopicPartition

from bench.tansu import LocalBroker
from eventlog.store import ReadStore
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from okr_ledger.generator import generate
from projections.audit import AuditView
from projections.follower import Follower
from projections.state import StateView
from projections.view import View
from streams.fetching import FetchingConsumer
from streams.kafka import consumer, ensure_topics, producer, topic_producer
from streams.pages import Message, prepare_page
from streams.publisher import Publisher
from streams.worker import ProjectionWorker

PARTITIONS = 6


def prepared_messages(services: Services) -> list[Message]:
    """The messages of the whole log, built before the clock starts."""
    head = services.ledger.head_position()
    found: list[Message] = []
    after = 0
    while after < head:
        after, messages = prepare_page(services.ledger, after, head, 5000)
        found.extend(messages)
    return found


def raw_produce(servers: str, topic: str, messages: list[Message]) -> float:
    ensure_topics(servers, [topic], PARTITIONS)
    sender = producer(servers)
    sender.partitions_for(topic)  # metadata first, as the publisher has it
    began = time.perf_counter()
    futures = [sender.send(topic, key=k, value=v, headers=h) for k, v, h in messages]
    sender.flush(timeout=120)
    seconds = time.perf_counter() - began
    assert all(f.succeeded() for f in futures)
    sender.close()
    return seconds


def relay(services: Services, servers: str, topic: str, batch: int, url: str | None) -> float:
    """The publisher as ``okr-ledger publish`` runs it (pages read by another process
    when ``url`` is given, else by a thread)."""
    publisher = Publisher(
        services.ledger,
        services.read_models.store,
        lambda: topic_producer(servers, topic, PARTITIONS),
        topic,
        batch_size=batch,
        reader_url=url,
    )
    publisher.producer.partitions_for(topic)
    publisher._reader().submit(0, 0, 1).result()  # the reading process is up
    began = time.perf_counter()
    publisher.publish_all()
    seconds = time.perf_counter() - began
    assert publisher.lag() == 0
    publisher.close()
    return seconds


def raw_consume(servers: str, topic: str, expected: int) -> float:
    reader = KafkaConsumer(bootstrap_servers=[servers], enable_auto_commit=False)
    reader.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    reader.seek_to_beginning()
    began, count = time.perf_counter(), 0
    while count < expected:
        for messages in reader.poll(timeout_ms=500, max_records=5000).values():
            count += len(messages)
    seconds = time.perf_counter() - began
    reader.close()
    return seconds


def worker_catch_up(url: str, servers: str, topic: str, head: int, *, fetching: bool) -> float:
    """One worker building the live views from the topic, from empty; the clock starts
    once the group has given it the partitions. ``fetching``: its consumer fetches in a
    process of its own (``streams.fetching``), as ``okr-ledger project`` runs it."""
    services = bootstrap(Settings(database_url=url))
    models = services.read_models
    empty_views(services)
    group = f"bench-{uuid4().hex[:8]}"
    make = partial(consumer, servers, group, session_timeout_ms=3000)
    member = FetchingConsumer(make) if fetching else make()
    worker = ProjectionWorker(models, member, topic, group, batch_size=5000)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    while not member.assignment():
        time.sleep(0.01)
    began = time.perf_counter()
    while models.position() < head:
        time.sleep(0.02)
    seconds = time.perf_counter() - began
    stop.set()
    thread.join()
    services.close()
    return seconds


def empty_views(services: Services) -> None:
    """The live views dropped and made again, empty, with their tracking forgotten."""
    models = services.read_models
    emptied(models.store, [models.audit, models.state], made=True)
    models.refresh()


def emptied(store: ReadStore, views: list[View], *, made: bool) -> None:
    """Drop ``views`` with their tracking; ``made``: make them again, empty."""
    with store.transaction() as cursor:
        for view in views:
            view.drop(cursor)
            store.forget_tracking(cursor, view.tracking_name)
            if made:
                view.create(cursor)


def follower_catch_up(services: Services) -> float:
    """The in-process follower building fresh generations of both views from the log."""
    models, store = services.read_models, services.read_models.store
    fresh = [AuditView(models.audit.generation + 1), StateView(models.state.generation + 1)]
    emptied(store, fresh, made=True)
    began = time.perf_counter()
    Follower(services.ledger, store, fresh, batch_size=5000).catch_up()
    seconds = time.perf_counter() - began
    emptied(store, fresh, made=False)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--teams", type=int, default=160)
    parser.add_argument("--batch", type=int, default=5000, help="publisher page size")
    parser.add_argument(
        "--repeat", type=int, default=3, help="catch-up runs of each kind, taken by turns"
    )
    parser.add_argument("--bootstrap", help="host:port of a broker (default: start Tansu)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "OKR_LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    broker = None
    servers = args.bootstrap
    if servers is None:
        broker = LocalBroker()
        servers = broker.servers
    dsn = psycopg.conninfo.make_conninfo(**psycopg.conninfo.conninfo_to_dict(args.postgres_url))
    schema = f"bench_relay_{uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{args.postgres_url}?schema={schema}"
    services = bootstrap(Settings(database_url=url))
    try:
        for written in generate(services.ledger, cycles=args.cycles, teams=args.teams):
            print(f"\rgenerated {written} events", end="", flush=True)
        head = services.ledger.head_position()
        services.read_models.refresh()
        messages = prepared_messages(services)
        size = sum(len(v) for _, v, _ in messages) / len(messages)
        print(
            f"\r{head} events; envelopes of {size:.0f} bytes on average; {PARTITIONS} partitions"
        )

        raw = raw_produce(servers, f"bench-raw-{uuid4().hex[:8]}", messages)
        threaded = relay(services, servers, f"bench-thread-{uuid4().hex[:8]}", args.batch, None)
        topic = f"bench-relay-{uuid4().hex[:8]}"
        relayed = relay(services, servers, topic, args.batch, url)
        print(f"\n{'log -> Kafka':<44} {'events/s':>10} {'seconds':>8}")
        print(f"{'publisher (read, envelope, send, acks, track)':<44} {head / relayed:>10.0f} "
              f"{relayed:>8.1f}")  # fmt: skip
        print(f"{'  the same, pages read on a thread':<44} {head / threaded:>10.0f} "
              f"{threaded:>8.1f}")  # fmt: skip
        print(f"{'raw kafka-python producer, same messages':<44} {head / raw:>10.0f} {raw:>8.1f}")
        print(f"ratio: {raw / relayed:.2f} of the raw producer (goal 0.70)")

        consumed = raw_consume(servers, topic, head)
        runs: dict[str, list[float]] = {"follower": [], "fetching": [], "thread": []}
        for _ in range(args.repeat):  # by turns, so a noisy spell hits all three alike
            runs["follower"].append(follower_catch_up(services))
            runs["fetching"].append(worker_catch_up(url, servers, topic, head, fetching=True))
            runs["thread"].append(worker_catch_up(url, servers, topic, head, fetching=False))
        followed, fetched, caught = (statistics.median(runs[k]) for k in runs)
        print(
            f"\n{'Kafka -> read models (audit + state)':<44} {'events/s':>10} {'seconds':>8}"
            f"   (median of {args.repeat} runs by turns)"
        )
        print(f"{'one projection worker (fetching process)':<44} {head / fetched:>10.0f} "
              f"{fetched:>8.1f}")  # fmt: skip
        print(f"{'  the same, fetching on its own thread':<44} {head / caught:>10.0f} "
              f"{caught:>8.1f}")  # fmt: skip
        print(f"{'in-process follower from the log':<44} {head / followed:>10.0f} "
              f"{followed:>8.1f}")  # fmt: skip
        print(f"{'bare consumer, no processing':<44} {head / consumed:>10.0f} {consumed:>8.1f}")
        each = ", ".join(
            f"{f / w:.2f}" for f, w in zip(runs["follower"], runs["fetching"], strict=True)
        )
        print(
            f"worker: {followed / fetched:.2f} of the follower's rate "
            f"({followed / caught:.2f} fetching on its own thread; goal 0.80); "
            f"run by run: {each}"
        )
    finally:
        services.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
        if broker:
            broker.kill()


if __name__ == "__main__":
    main()
