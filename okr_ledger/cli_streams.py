"""The command line's Kafka side: ``publish``, ``intake`` and ``project --from-kafka``."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import click

from okr_ledger.config import Settings


def servers(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        raise click.UsageError("set OKR_LEDGER_KAFKA_BOOTSTRAP_SERVERS to use Kafka")
    return settings.kafka_bootstrap_servers


def report_lag(name: str, position: int, head: int, max_lag: int | None) -> None:
    """Print a position and its lag; exit 1 past ``max_lag`` (for health checks)."""
    click.echo(f"{name}: position {position} of {head}; lag {head - position}")
    if max_lag is not None and head - position > max_lag:
        raise SystemExit(1)


def member(settings: Settings, group: str) -> Any:
    """A consumer-group member of ``group`` on the configured broker."""
    from streams.kafka import consumer

    return consumer(servers(settings), group, session_timeout_ms=settings.kafka_session_timeout_ms)


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def report(line: str) -> None:
    click.echo(line, err=True)


@click.command()
@click.option("--once", is_flag=True, help="Publish what the log holds now, then exit.")
@click.option("--status", is_flag=True, help="Print the position and lag, then exit.")
@click.option(
    "--max-lag",
    type=click.IntRange(0),
    help="With --status: exit 1 if the publisher lags further behind the log.",
)
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(1, 50_000))
@click.pass_obj
def publish(context: Any, once: bool, status: bool, max_lag: int | None, batch_size: int) -> None:
    """Relay the log to the events topic (at least once, keyed by aggregate id)."""
    from streams.kafka import topic_producer
    from streams.publisher import Publisher

    settings: Settings = context.settings
    services = context.services
    url = settings.database_url
    publisher = Publisher(
        services.ledger, services.read_models.store,
        lambda: topic_producer(servers(settings), settings.kafka_topic, settings.kafka_partitions),
        settings.kafka_topic, batch_size=batch_size,
        reader_url=url if url.startswith("postgresql") else None,
    )  # fmt: skip
    if status:
        report_lag("publisher", publisher.position(), services.ledger.head_position(), max_lag)
        return
    if once:
        try:
            published = publisher.publish_all()
        finally:
            publisher.close()
        click.echo(
            f"published {published} events; at position {publisher.position()}, "
            f"lag {publisher.lag()}"
        )
        return
    logging.basicConfig(level=logging.WARNING)
    stop = stop_on_signals()
    report(f"publishing to {settings.kafka_topic} from position {publisher.position()}")
    publisher.run(stop, report=report)


@click.command()
@click.option(
    "--heartbeat",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Touch this file after every poll (a health check can watch its age).",
)
@click.pass_obj
def intake(context: Any, heartbeat: Path | None) -> None:
    """Run commands from the commands topic; write each outcome to the results topic."""
    from streams.intake import CommandIntake
    from streams.kafka import ensure_topics, producer
    from web.error_codes import STATUS

    settings: Settings = context.settings
    services = context.services
    broker = servers(settings)
    ensure_topics(
        broker,
        [settings.kafka_commands_topic, settings.kafka_results_topic],
        settings.kafka_partitions,
    )
    logging.basicConfig(level=logging.WARNING)
    stop = stop_on_signals()
    runner = CommandIntake(
        services.bus, services.authenticator, member(settings, settings.kafka_intake_group),
        producer(broker), settings.kafka_commands_topic, settings.kafka_results_topic,
        statuses=STATUS,
    )  # fmt: skip
    report(f"running commands from {settings.kafka_commands_topic}")
    runner.run(stop, beat=heartbeat.touch if heartbeat else None)


def project_from_kafka(context: Any, batch_size: int) -> None:
    """The projection worker: a consumer-group member keeping the read models, its
    messages fetched and parsed by a process of its own (``streams.fetching``)."""
    from functools import partial

    from streams.fetching import FetchingConsumer
    from streams.kafka import EVENTS_TOPIC_CONFIG, ensure_topics
    from streams.worker import ProjectionWorker

    settings: Settings = context.settings
    broker = servers(settings)
    ensure_topics(broker, [settings.kafka_topic], settings.kafka_partitions, EVENTS_TOPIC_CONFIG)
    models = context.services.read_models
    logging.basicConfig(level=logging.WARNING)
    stop = stop_on_signals()
    fetching = FetchingConsumer(partial(member, settings, settings.kafka_views_group))
    worker = ProjectionWorker(
        models, fetching, settings.kafka_topic, settings.kafka_views_group,
        batch_size=batch_size,
    )  # fmt: skip
    report(
        f"keeping the read models from {settings.kafka_topic} (group {settings.kafka_views_group})"
    )
    worker.run(stop)
