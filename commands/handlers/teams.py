from __future__ import annotations

from commands.bus import Unit, handles
from commands.messages import FormTeam, MoveTeam, RenameTeam
from ledger.exceptions import AlreadyExists
from ledger.team import Team


@handles(FormTeam)
def form_team(cmd: FormTeam, unit: Unit) -> None:
    unit.require_admin("form a team")
    if unit.find(Team, Team.id_for(cmd.key)):
        raise AlreadyExists("team", cmd.key)
    parent = unit.get(Team, cmd.parent_id, field="parent_id") if cmd.parent_id else None
    team = Team.form(key=cmd.key, name=cmd.name, level=cmd.level, parent=parent, meta=unit.meta)
    unit.add(team, created=True)


@handles(RenameTeam)
def rename_team(cmd: RenameTeam, unit: Unit) -> None:
    unit.require_admin("rename a team")
    unit.target(Team, cmd.team_id).rename(cmd.name, unit.meta)


@handles(MoveTeam)
def move_team(cmd: MoveTeam, unit: Unit) -> None:
    unit.require_admin("move a team")
    team = unit.target(Team, cmd.team_id)
    parent = unit.get(Team, cmd.parent_id, field="parent_id")
    team.move(parent, unit.ledger.team_ancestors(parent.id), unit.meta)
