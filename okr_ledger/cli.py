"""The ``okr-ledger`` command line."""

from __future__ import annotations

import sys

import click

from ledger.chain import Checkpoint
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
    """OKR Ledger: every OKR act as an immutable, hash-chained event."""
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
@click.option("--cycle", "cycle_key", required=True, help="Cycle key, e.g. 2026-Q3.")
@pass_context
def state(context: Context, cycle_key: str) -> None:
    """Print a cycle's current state, replayed from the log."""
    from okr_ledger.report import render_cycle

    click.echo(render_cycle(context.services.ledger, cycle_key))


@main.command()
@click.option(
    "--checkpoint",
    "checkpoint_text",
    metavar="POSITION:ROOT",
    help="Also prove that the log still extends this checkpoint.",
)
@pass_context
def verify(context: Context, checkpoint_text: str | None) -> None:
    """Walk the hash chain; exit 0 if intact, else name the first bad position."""
    try:
        checkpoint = Checkpoint.parse(checkpoint_text) if checkpoint_text else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--checkpoint") from None
    result = context.services.ledger.verify(checkpoint)
    if result.intact:
        head = result.checkpoint
        click.echo(f"intact: {result.checked} events verified; head {head or 'empty log'}")
        if checkpoint:
            click.echo(f"the log extends checkpoint {checkpoint}")
        return
    click.echo(
        f"TAMPERED at position {result.failed_at}: {result.problem} "
        f"({result.checked} events verified before it)",
        err=True,
    )
    sys.exit(1)


@main.command()
@pass_context
def checkpoint(context: Context) -> None:
    """Print the log's head position and root hash, to hand to a board."""
    point = context.services.ledger.checkpoint()
    if point is None:
        click.echo("the log is empty", err=True)
        sys.exit(1)
    click.echo(f"position: {point.position}")
    click.echo(f"root:     {point.root}")
    click.echo(f"checkpoint: {point}")
