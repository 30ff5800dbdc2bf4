"""The ``okr-ledger`` command line."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings


class Context:
    def __init__(self, database_url: str | None) -> None:
        self.settings = Settings.from_env().with_overrides(database_url=database_url)
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = bootstrap(self.settings)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()


pass_context = click.make_pass_decorator(Context)


@click.group()
@click.option(
    "--database-url",
    metavar="URL",
    help="sqlite:///FILE (default sqlite:///okr-ledger.sqlite), "
    "postgresql://USER:PASSWORD@HOST:PORT/DB or memory://. "
    "Also read from OKR_LEDGER_DATABASE_URL.",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """OKR Ledger: every OKR act as an immutable event in a signed transparency log."""
    context = Context(database_url)
    ctx.obj = context
    ctx.call_on_close(context.close)


@main.command()
@click.option("--cycle", "cycle_key", default=None, help="Cycle key (default: the demo's).")
@click.option("--quiet", is_flag=True, help="Load the demo without printing its state.")
@pass_context
def demo(context: Context, cycle_key: str | None, quiet: bool) -> None:
    """Write a realistic public-sector cycle through the command path, then print it."""
    from okr_ledger import demo as scenario
    from okr_ledger.report import render_cycle

    services = context.services
    loaded = scenario.load(services)
    click.echo(
        f"demo loaded: {loaded.commands} commands, log now at position {loaded.position}"
        if loaded.commands
        else "demo already loaded; nothing written"
    )
    if not quiet:
        click.echo(render_cycle(services.ledger, cycle_key or scenario.CYCLE_KEY))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (about one per core).",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per worker.",
)
@click.option(
    "--follower/--no-follower",
    default=True,
    show_default=True,
    help="Also run the read models' follower (off when a separate projection worker keeps them).",
)
@pass_context
def serve(
    context: Context, host: str, port: int, workers: int, threads: int, follower: bool
) -> None:
    """Serve the HTTP API (gunicorn, gthread workers) on the configured store."""
    from okr_ledger.server import serve as run_server

    url = context.settings.database_url
    click.echo(
        f"OKR Ledger API on http://{host}:{port} (store: {context.settings.shown_database_url})"
    )
    child = None
    if follower:
        context.services.read_models.refresh()  # create its tables before the workers start
        child = subprocess.Popen(
            [sys.executable, "-m", "okr_ledger", "--database-url", url, "project"]
        )
    try:
        run_server(context.settings, host=host, port=port, workers=workers, threads=threads)
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=10)


@main.command()
@click.option("--cycle", "cycle_key", required=True, help="Cycle key, e.g. 2026-Q3.")
@pass_context
def state(context: Context, cycle_key: str) -> None:
    """Print a cycle's current state, replayed from the log."""
    from okr_ledger.report import render_cycle

    click.echo(render_cycle(context.services.ledger, cycle_key))


@main.command()
@click.option("--cycle", "cycle_key", required=True, help="Cycle key, e.g. 2026-Q3.")
@click.option(
    "--until",
    "until",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]),
    help="An instant (UTC unless it names a zone): the state as recorded by then.",
)
@pass_context
def replay(context: Context, cycle_key: str, until: datetime) -> None:
    """Print a cycle as the ledger knew it at an instant, replaying the log up to it."""
    from okr_ledger.report import render_cycle

    moment = until if until.tzinfo else until.replace(tzinfo=UTC)
    click.echo(render_cycle(context.services.ledger, cycle_key, until=moment))


@main.command()
@click.option(
    "--service-role",
    metavar="ROLE",
    help="PostgreSQL: grant this role only what the service needs (run init as the "
    "tables' owner; see docs/storage.md).",
)
@pass_context
def init(context: Context, service_role: str | None) -> None:
    """Create the ledger's, the read models' and the deliveries' tables if absent and
    build the transparency log's tree from the stored events (safe to run again)."""
    from okr_ledger.cli_log import announce_made_key, build_tree, grant

    services = context.services
    services.read_models.refresh()
    services.deliveries  # noqa: B018  (creates the webhook deliveries' tables)
    announce_made_key(context)
    tree = build_tree(context)
    click.echo(
        f"store ready ({context.settings.shown_database_url}); "
        f"log at position {services.ledger.head_position()}; {tree}"
    )
    if service_role:
        click.echo(grant(context, service_role))


@main.command()
@click.option("--once", is_flag=True, help="Catch up with the log and exit.")
@click.option("--poll", default=0.2, show_default=True, help="Seconds between polls when idle.")
@click.option(
    "--batch-size",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Events per transaction.",
)
@click.option(
    "--from-kafka",
    is_flag=True,
    help="Read the events topic as a consumer-group member instead of the log.",
)
@click.option("--status", is_flag=True, help="Print the read models' position and lag, then exit.")
@click.option(
    "--max-lag",
    type=click.IntRange(0),
    help="With --status: exit 1 if the read models lag further behind the log.",
)
@pass_context
def project(
    context: Context,
    once: bool,
    poll: float,
    batch_size: int,
    from_kafka: bool,
    status: bool,
    max_lag: int | None,
) -> None:
    """Keep the read models up to date with the log (Ctrl-C to stop)."""
    if status:
        from okr_ledger.cli_streams import report_lag

        models = context.services.read_models
        head = context.services.ledger.head_position()
        report_lag("read models", models.position(), head, max_lag)
        return
    if from_kafka:
        from okr_ledger.cli_streams import project_from_kafka

        project_from_kafka(context, min(batch_size, 10_000))
        return
    models = context.services.read_models
    models.batch_size = batch_size
    if once:
        applied = models.catch_up()
        click.echo(f"read models at position {models.position()} ({applied} updates)")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"following the log from position {models.position()}", err=True)
    # On the embedded default this process also runs the webhook deliveries.
    embedded = context.settings.database_url.startswith("sqlite")
    dispatcher = context.services.dispatcher() if embedded else None
    try:
        run_follower(models, stop, poll, tick=checkpointer(context), dispatcher=dispatcher)
    except KeyboardInterrupt:
        stop.set()


def checkpointer(context: Context) -> Callable[[], object]:
    """The follower's second duty: sign a checkpoint when the log has grown and
    OKR_LEDGER_CHECKPOINT_INTERVAL seconds have passed (nothing without a key)."""
    from okr_ledger.cli_log import announce_made_key

    announce_made_key(context)
    return context.services.transparency.maybe_checkpoint


def run_follower(
    models: Any,
    stop: threading.Event,
    poll: float,
    tick: Callable[[], object] | None = None,
    dispatcher: Any = None,
) -> None:
    """Follow the log (and tick the checkpointer, and deliver webhooks between
    batches); survive a rebuild swapping the tables underneath."""
    while not stop.is_set():
        try:
            models.refresh()
            applied = models.follower().catch_up()
        except Exception as error:  # keep following; report and retry
            click.echo(f"read models: {error}; retrying", err=True)
            stop.wait(1.0)
            continue
        try:
            if tick is not None:
                tick()
        except Exception as error:  # keep following; a refused checkpoint is reported
            click.echo(f"checkpointer: {error}", err=True)
            stop.wait(1.0)
        try:
            if dispatcher is not None:
                applied += dispatcher.step()
        except Exception as error:  # keep following; deliveries retry on their own
            click.echo(f"deliveries: {error}", err=True)
            stop.wait(1.0)
        if not applied:
            stop.wait(poll)


@main.command()
@click.argument(
    "view", required=False, type=click.Choice(["audit", "state", "all"]), default="all"
)
@click.option("--check-only", is_flag=True, help="Rebuild and compare, but keep the live view.")
@pass_context
def rebuild(context: Context, view: str, check_only: bool) -> None:
    """Rebuild a view (default: all) from zero, check it against the live one, swap it in."""
    from projections.rebuild import rebuild as rebuild_views

    models = context.services.read_models
    head = context.services.ledger.head_position()
    names = ["audit", "state"] if view == "all" else [view]
    with click.progressbar(length=head or 1, label=f"rebuilding {', '.join(names)}") as bar:

        def advance(position: int, _head: int) -> None:
            bar.update(position - bar.pos)

        done = rebuild_views(
            models, names, progress=advance, swap=not check_only, url=context.settings.database_url
        )
    for result in done if isinstance(done, list) else [done]:
        verdict = "identical to" if result.identical else "DIFFERENT from"
        action = "swapped in" if result.swapped else "discarded (check only)"
        click.echo(
            f"{result.view}: rebuilt to position {result.position}; {verdict} the "
            f"live view; generation {result.generation} {action}"
        )


def _register_more() -> None:
    from okr_ledger.cli_archive import export_command
    from okr_ledger.cli_deliver import deliver
    from okr_ledger.cli_log import checkpoint, log_group, verify
    from okr_ledger.cli_principals import principal
    from okr_ledger.cli_streams import intake, publish
    from okr_ledger.cli_witness import witness

    for command in (
        publish,
        intake,
        log_group,
        checkpoint,
        verify,
        witness,
        export_command,
        deliver,
        principal,
    ):
        main.add_command(command)


_register_more()


def _register_imports() -> None:
    from okr_ledger.cli_import import import_command

    main.add_command(import_command)


_register_imports()
