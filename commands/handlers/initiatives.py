from __future__ import annotations

from uuid import UUID, uuid4

from commands.bus import Unit, handles
from commands.messages import (
    AllocateResources,
    ChangeInitiativeStatus,
    CompleteInitiative,
    LinkInitiative,
    PrioritiseInitiative,
    ProposeInitiative,
    StartInitiative,
    StopInitiative,
    UnlinkInitiative,
)
from ledger.base import require_text
from ledger.exceptions import AlreadyExists, RuleViolation
from ledger.initiative import Initiative
from ledger.key_result import KeyResult
from ledger.team import Team


def _initiative(unit: Unit, initiative_id: UUID, act: str) -> Initiative:
    initiative = unit.target(Initiative, initiative_id, field="initiative_id")
    unit.require_team(initiative.team_id, act)
    return initiative


@handles(ProposeInitiative)
def propose_initiative(cmd: ProposeInitiative, unit: Unit) -> None:
    team = unit.get(Team, cmd.team_id, field="team_id")
    cycle = unit.cycle(cmd.cycle_id)
    unit.require_team(team.id, "propose an initiative")
    initiative_id = uuid4()
    if cmd.key is not None:
        key = require_text(cmd.key, "key", max_length=80)
        initiative_id = Initiative.id_for(team.id, cycle.id, key)
        if unit.find(Initiative, initiative_id):
            raise AlreadyExists("initiative", cmd.key)
    initiative = Initiative.propose(
        initiative_id=initiative_id,
        team=team,
        cycle=cycle,
        title=cmd.title,
        owner=cmd.owner,
        description=cmd.description,
        meta=unit.meta,
    )
    for key_result_id in cmd.key_result_ids:
        kr = unit.get(KeyResult, key_result_id, field="key_result_ids")
        initiative.link_to(kr, cycle, unit.meta)
    unit.add(initiative, created=True)


@handles(LinkInitiative)
def link_initiative(cmd: LinkInitiative, unit: Unit) -> None:
    initiative = _initiative(unit, cmd.initiative_id, "link an initiative")
    kr = unit.get(KeyResult, cmd.key_result_id, field="key_result_id")
    initiative.link_to(kr, unit.cycle(initiative.cycle_id), unit.meta)


@handles(UnlinkInitiative)
def unlink_initiative(cmd: UnlinkInitiative, unit: Unit) -> None:
    initiative = _initiative(unit, cmd.initiative_id, "unlink an initiative")
    initiative.unlink_from(cmd.key_result_id, unit.cycle(initiative.cycle_id), unit.meta)


@handles(StartInitiative)
def start_initiative(cmd: StartInitiative, unit: Unit) -> None:
    initiative = _initiative(unit, cmd.initiative_id, "start an initiative")
    initiative.start(unit.cycle(initiative.cycle_id), unit.meta)


@handles(ChangeInitiativeStatus)
def change_initiative_status(cmd: ChangeInitiativeStatus, unit: Unit) -> None:
    initiative = _initiative(unit, cmd.initiative_id, "change an initiative's status")
    initiative.change_status(cmd.health, cmd.note, unit.cycle(initiative.cycle_id), unit.meta)


@handles(StopInitiative)
def stop_initiative(cmd: StopInitiative, unit: Unit) -> None:
    initiative = _initiative(unit, cmd.initiative_id, "stop an initiative")
    initiative.stop(unit.cycle(initiative.cycle_id), unit.meta)


@handles(CompleteInitiative)
def complete_initiative(cmd: CompleteInitiative, unit: Unit) -> None:
    initiative = _initiative(unit, cmd.initiative_id, "complete an initiative")
    initiative.complete(cmd.note, unit.cycle(initiative.cycle_id), unit.meta)


@handles(PrioritiseInitiative)
def prioritise_initiative(cmd: PrioritiseInitiative, unit: Unit) -> None:
    initiative = _initiative(unit, cmd.initiative_id, "prioritise an initiative")
    cycle = unit.cycle(initiative.cycle_id)
    if cmd.method == "moscow":
        if cmd.moscow is None:
            raise RuleViolation("required", "a MoSCoW priority names moscow", field="moscow")
        initiative.prioritise_moscow(cmd.moscow, cycle, unit.meta)
    elif cmd.method == "rice":
        reach, impact, confidence, effort = cmd.reach, cmd.impact, cmd.confidence, cmd.effort
        if reach is None or impact is None or confidence is None or effort is None:
            missing = [
                n for n in ("reach", "impact", "confidence", "effort") if getattr(cmd, n) is None
            ]
            raise RuleViolation(
                "required", f"a RICE score needs {', '.join(missing)}", field=missing[0]
            )
        initiative.prioritise_rice(
            reach=reach,
            impact=impact,
            confidence=confidence,
            effort=effort,
            cycle=cycle,
            meta=unit.meta,
        )
    else:
        raise RuleViolation("not_allowed", "method must be one of moscow, rice", field="method")


@handles(AllocateResources)
def allocate_resources(cmd: AllocateResources, unit: Unit) -> None:
    initiative = _initiative(unit, cmd.initiative_id, "allocate resources")
    initiative.allocate(
        people=cmd.people,
        money=cmd.money,
        currency=cmd.currency,
        cycle=unit.cycle(initiative.cycle_id),
        meta=unit.meta,
    )
