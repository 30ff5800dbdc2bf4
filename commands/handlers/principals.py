from __future__ import annotations

from commands.bus import Unit, handles
from commands.messages import AddPrincipal, RevokePrincipal
from ledger.exceptions import AlreadyExists
from ledger.principal import ApiToken, Principal
from ledger.team import Team


@handles(AddPrincipal)
def add_principal(cmd: AddPrincipal, unit: Unit) -> None:
    unit.require_admin("add a principal")
    if unit.find(Principal, Principal.id_for(cmd.name)):
        raise AlreadyExists("principal", cmd.name)
    for team_id in cmd.team_ids:
        unit.get(Team, team_id, field="teams")
    principal = Principal.add(name=cmd.name, role=cmd.role, team_ids=cmd.team_ids, meta=unit.meta)
    unit.add(principal, created=True)
    unit.add(ApiToken.issue(principal=principal, hashed=cmd.token_hash, meta=unit.meta))


@handles(RevokePrincipal)
def revoke_principal(cmd: RevokePrincipal, unit: Unit) -> None:
    unit.require_admin("revoke a principal")
    unit.target(Principal, cmd.principal_id, field="principal_id").revoke(unit.meta)
