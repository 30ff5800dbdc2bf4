"""Kafka clients as the streams use them (kafka-python), and topic creation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

DEFAULT_PARTITIONS = 6
EVENTS_TOPIC_CONFIG = {"retention.ms": "-1", "cleanup.policy": "delete"}
"""The events topic keeps every message: a new projection worker group reads it from
the start (see docs/events-topic.md)."""


def producer(servers: str, **overrides: Any) -> KafkaProducer:
    """A producer that keeps each partition's messages in order through retries
    (one request in flight) and waits for every in-sync replica."""
    settings: dict[str, Any] = {
        "bootstrap_servers": servers.split(","),
        "acks": "all",
        "retries": 10,
        "max_in_flight_requests_per_connection": 1,
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "request_timeout_ms": 10_000,
        "max_block_ms": 10_000,
    }
    settings.update(overrides)
    return KafkaProducer(**settings)


def consumer(
    servers: str, group: str, *, session_timeout_ms: int = 10_000, **overrides: Any
) -> KafkaConsumer:
    """A consumer-group member that never commits on its own: offsets are committed
    (or stored) only once their effect is durable."""
    settings: dict[str, Any] = {
        "bootstrap_servers": servers.split(","),
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": session_timeout_ms,
        "heartbeat_interval_ms": max(100, session_timeout_ms // 5),
        "max_poll_interval_ms": 300_000,
    }
    settings.update(overrides)
    return KafkaConsumer(**settings)


def ensure_topics(
    servers: str,
    topics: Iterable[str],
    partitions: int,
    configs: dict[str, str] | None = None,
) -> None:
    """Create the topics that do not exist yet (existing ones are left as they are)."""
    admin = KafkaAdminClient(bootstrap_servers=servers.split(","))
    try:
        for topic in topics:
            if topic in admin.list_topics():
                continue
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(
                            topic,
                            num_partitions=partitions,
                            replication_factor=1,
                            topic_configs=configs or {},
                        )
                    ]
                )
    finally:
        admin.close()


def topic_producer(servers: str, topic: str, partitions: int, **overrides: Any) -> KafkaProducer:
    """A producer for the events ``topic``, which it first makes sure exists (a broker
    may come back without it)."""
    ensure_topics(servers, [topic], partitions, EVENTS_TOPIC_CONFIG)
    return producer(servers, **overrides)


def discard(producer: KafkaProducer) -> None:
    """Close a producer now, dropping what it could not deliver (its caller sends that
    again): a plain close first flushes, which fails while the broker is away, and would
    leave the I/O thread to deliver stale messages later."""
    try:
        producer.close(timeout=0)
    except KafkaError:
        sender = getattr(producer, "_sender", None)  # kafka-python has no public abort
        if sender is not None:
            sender.force_close()
            sender.join(5)
        producer._closed = True
