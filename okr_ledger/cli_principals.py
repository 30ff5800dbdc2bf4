"""Who may use the API, at the command line: ``principal add``, ``revoke`` and ``list``.

Every change is a command through the bus, done as the operator (``operator``)."""

from __future__ import annotations

import getpass
import secrets
from typing import TYPE_CHECKING

import click
from eventsourcing.utils import get_topic

from commands.bus import Outcome
from commands.messages import AddPrincipal, Command, RevokePrincipal
from commands.principals import ADMIN, ROLES, Principal
from ledger.exceptions import LedgerError
from ledger.principal import Principal as PrincipalRecord
from ledger.principal import token_hash
from ledger.replay import read_log, replay_events
from ledger.team import Team

if TYPE_CHECKING:
    from okr_ledger.cli import Context


def operator() -> Principal:
    """The principal of acts done at the command line: whoever runs it, as admin."""
    return Principal(f"cli:{getpass.getuser()}", ADMIN)


@click.group()
def principal() -> None:
    """Manage who may use the API (every change is an event in the log)."""


@principal.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--team",
    "teams",
    multiple=True,
    metavar="KEY",
    help="A team (by key) an editor writes for; repeat for several.",
)
@click.pass_obj
def principal_add(context: Context, name: str, role: str, teams: tuple[str, ...]) -> None:
    """Add a principal and print its API token (once, alone on the last line)."""
    for key in teams:
        if context.services.ledger.find(Team, Team.id_for(key)) is None:
            raise click.BadParameter(f"no team with key {key!r}", param_hint="--team")
    token = f"okr_{secrets.token_urlsafe(32)}"
    command = AddPrincipal(
        name=name,
        role=role,
        team_ids=tuple(Team.id_for(key) for key in teams),
        token_hash=token_hash(token),
    )
    outcome = _run(context, command)
    click.echo(f"added {role} {name} ({outcome.created_id}) at log position {outcome.position}")
    click.echo("the token is shown only now; keep it secret:")
    click.echo(token)


@principal.command("revoke")
@click.argument("name")
@click.option("--reason", default=None, help="Why access is withdrawn.")
@click.pass_obj
def principal_revoke(context: Context, name: str, reason: str | None) -> None:
    """Revoke a principal; its tokens stop working within seconds."""
    outcome = _run(
        context, RevokePrincipal(principal_id=PrincipalRecord.id_for(name), reason=reason)
    )
    click.echo(f"revoked {name} at log position {outcome.position}")


@principal.command("list")
@click.pass_obj
def principal_list(context: Context) -> None:
    """List principals with their roles, teams and status."""
    ledger = context.services.ledger
    topics = tuple(get_topic(cls) for cls in (PrincipalRecord.Added, PrincipalRecord.Revoked))
    world = replay_events(read_log(ledger, topics=topics))
    for record in sorted(world.all(PrincipalRecord), key=lambda p: p.name):
        scope = ",".join(ledger.get(Team, t).key for t in record.team_ids) or "-"
        click.echo(f"{record.name:<30} {record.role:<8} {record.status:<8} {scope}")


def _run(context: Context, command: Command) -> Outcome:
    try:
        return context.services.bus.handle(command, operator())
    except LedgerError as error:
        raise click.ClickException(f"{error.rule}: {error.message}") from None
