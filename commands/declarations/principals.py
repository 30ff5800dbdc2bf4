"""Principals: who may act. Only the operator's CLI sends these (they have no address)."""

from __future__ import annotations

from uuid import UUID

from commands.declarations.base import Command, arg, command


@command()
class AddPrincipal(Command):
    """Add a principal with a role (and teams, for editors) and its token's hash."""

    name: str
    role: str
    token_hash: str = arg(
        doc="SHA-256 hex of the new API token; the token itself never enters the ledger"
    )
    team_ids: tuple[UUID, ...] = ()


@command()
class RevokePrincipal(Command):
    """Revoke a principal."""

    principal_id: UUID
