"""``okr-ledger deliver``: run the webhook deliveries, show and replay dead letters."""

from __future__ import annotations

import signal
import threading
from uuid import UUID

import click

from eventlog.vocabulary import micros_of, time_text


@click.command()
@click.option("--once", is_flag=True, help="Queue what the log holds, send what is due, exit.")
@click.option("--poll", default=0.2, show_default=True, help="Seconds between polls when idle.")
@click.option(
    "--dead",
    "dead_of",
    metavar="ID",
    help="List the dead letters of a subscription, then exit.",
)
@click.option(
    "--replay-dead",
    "replay_of",
    metavar="ID",
    help="Put a subscription's dead letters back in its queue, then exit.",
)
@click.option("--status", is_flag=True, help="Print the deliveries' position and lag, then exit.")
@click.option(
    "--max-lag",
    type=click.IntRange(0),
    help="With --status: exit 1 if the deliveries lag further behind the log.",
)
@click.pass_obj
def deliver(
    context: object,
    once: bool,
    poll: float,
    dead_of: str | None,
    replay_of: str | None,
    status: bool,
    max_lag: int | None,
) -> None:
    """Deliver webhook notifications from the log (Ctrl-C to stop)."""
    services = context.services  # type: ignore[attr-defined]
    store = services.deliveries
    if status:
        from okr_ledger.cli_streams import report_lag

        report_lag("deliveries", store.position(), services.ledger.head_position(), max_lag)
        with store.transaction(commit=False) as cursor:
            click.echo(f"deliveries: {store.pending_count(cursor)} pending")
        return
    if dead_of or replay_of:
        ident = str(_uuid(dead_of or replay_of))
        if replay_of:
            count = store.replay_dead(ident, micros_of(services.bus.clock()))
            click.echo(f"replayed {count} dead letter(s) of {ident}")
            return
        with store.transaction(commit=False) as cursor:
            rows = store.messages(cursor, ident, "dead", limit=1000)
        for row in rows:
            click.echo(
                f"{row['message_id']}  {row['kind']:<22} attempts {row['attempts']}  "
                f"last {time_text(row['last_attempt_at'])}  {row['last_error'] or ''}"
            )
        click.echo(f"{len(rows)} dead letter(s)", err=True)
        return
    dispatcher = services.dispatcher()
    if once:
        result = dispatcher.run_once()
        dispatcher.close()
        click.echo(
            f"deliveries at position {store.position()}: queued {result['queued']}, "
            f"attempts {result['attempts']}, pending {result['pending']}"
        )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"delivering from position {store.position()}", err=True)
    try:
        dispatcher.run(stop, poll=poll)
    except KeyboardInterrupt:
        stop.set()


def _uuid(text: str | None) -> UUID:
    try:
        return UUID(text or "")
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a subscription id") from None
