from __future__ import annotations

from uuid import UUID, uuid4

from commands.bus import Unit, handles
from commands.messages import (
    AlignObjective,
    ChangeObjectiveOwner,
    DraftObjective,
    DropObjective,
    LinkObjectiveToChoice,
    ReflectOnObjective,
    Reprioritise,
    RewordObjective,
    UnalignObjective,
    UnlinkObjectiveFromChoice,
)
from ledger.base import require_choice, require_text
from ledger.exceptions import AlreadyExists
from ledger.key_result import KeyResult
from ledger.objective import PARENT_KINDS, Objective
from ledger.priorities import Priorities
from ledger.strategy import Strategy
from ledger.team import Team


def _objective(unit: Unit, objective_id: UUID, act: str) -> Objective:
    objective = unit.target(Objective, objective_id, field="objective_id")
    unit.require_team(objective.team_id, act)
    return objective


@handles(DraftObjective)
def draft_objective(cmd: DraftObjective, unit: Unit) -> None:
    team = unit.get(Team, cmd.team_id, field="team_id")
    cycle = unit.cycle(cmd.cycle_id)
    unit.require_team(team.id, "draft an objective")
    objective_id = uuid4()
    if cmd.key is not None:
        objective_id = Objective.id_for(
            team.id, cycle.id, require_text(cmd.key, "key", max_length=80)
        )
        if unit.find(Objective, objective_id):
            raise AlreadyExists("objective", cmd.key)
    objective = Objective.draft(
        objective_id=objective_id,
        team=team,
        cycle=cycle,
        statement=cmd.statement,
        owner=cmd.owner,
        commitment=cmd.commitment,
        description=cmd.description,
        meta=unit.meta,
    )
    unit.add(objective, created=True)
    enter_priorities(unit, objective)


def enter_priorities(unit: Unit, objective: Objective) -> None:
    """Rank a new objective last among its team's in its cycle."""
    team_id, cycle_id = objective.team_id, objective.cycle_id
    priorities = unit.find(Priorities, Priorities.id_for(team_id, cycle_id))
    if priorities is None:
        priorities = Priorities.establish(team_id=team_id, cycle_id=cycle_id, meta=unit.meta)
        unit.add(priorities)
    priorities.enter(objective.id, unit.meta)


@handles(RewordObjective)
def reword_objective(cmd: RewordObjective, unit: Unit) -> None:
    objective = _objective(unit, cmd.objective_id, "reword an objective")
    objective.reword(cmd.statement, cmd.description, unit.cycle(objective.cycle_id), unit.meta)


@handles(ChangeObjectiveOwner)
def change_objective_owner(cmd: ChangeObjectiveOwner, unit: Unit) -> None:
    objective = _objective(unit, cmd.objective_id, "change an objective's owner")
    objective.change_owner(cmd.owner, unit.cycle(objective.cycle_id), unit.meta)


@handles(LinkObjectiveToChoice)
def link_objective_to_choice(cmd: LinkObjectiveToChoice, unit: Unit) -> None:
    objective = _objective(unit, cmd.objective_id, "link an objective")
    strategy = unit.get(Strategy, cmd.strategy_id, field="strategy_id")
    objective.link_to_choice(strategy, cmd.choice_id, unit.cycle(objective.cycle_id), unit.meta)


@handles(UnlinkObjectiveFromChoice)
def unlink_objective_from_choice(cmd: UnlinkObjectiveFromChoice, unit: Unit) -> None:
    objective = _objective(unit, cmd.objective_id, "unlink an objective")
    objective.unlink_from_choice(cmd.choice_id, unit.cycle(objective.cycle_id), unit.meta)


@handles(AlignObjective)
def align_objective(cmd: AlignObjective, unit: Unit) -> None:
    objective = _objective(unit, cmd.objective_id, "align an objective")
    ledger = unit.ledger
    parent: Objective | KeyResult
    if require_choice(cmd.parent_kind, PARENT_KINDS, "parent_kind") == "key_result":
        parent = unit.get(KeyResult, cmd.parent_id, field="parent_id")
        above = {parent.objective_id, *ledger.objective_ancestors(parent.objective_id)}
    else:
        parent = unit.get(Objective, cmd.parent_id, field="parent_id")
        above = ledger.objective_ancestors(cmd.parent_id)
    objective.align_to(parent, above, unit.cycle(objective.cycle_id), unit.meta)


@handles(UnalignObjective)
def unalign_objective(cmd: UnalignObjective, unit: Unit) -> None:
    objective = _objective(unit, cmd.objective_id, "unalign an objective")
    objective.unalign(cmd.parent_id, unit.cycle(objective.cycle_id), unit.meta)


@handles(DropObjective)
def drop_objective(cmd: DropObjective, unit: Unit) -> None:
    objective = _objective(unit, cmd.objective_id, "drop an objective")
    cycle = unit.cycle(objective.cycle_id)
    objective.drop(cycle, unit.meta)
    priorities_id = Priorities.id_for(objective.team_id, objective.cycle_id)
    unit.load([*objective.key_result_ids, priorities_id])  # one round trip for all
    for key_result_id in objective.key_result_ids:
        key_result = unit.get(KeyResult, key_result_id)
        if key_result.is_live:
            key_result.drop(cycle, unit.meta)
    priorities = unit.get(Priorities, priorities_id)
    priorities.leave(objective.id, unit.meta)


@handles(ReflectOnObjective)
def reflect_on_objective(cmd: ReflectOnObjective, unit: Unit) -> None:
    objective = _objective(unit, cmd.objective_id, "reflect on an objective")
    objective.reflect(
        outcome=cmd.outcome,
        achieved=cmd.achieved,
        why=cmd.why,
        causes=cmd.causes,
        carry_forward=cmd.carry_forward,
        cycle=unit.cycle(objective.cycle_id),
        meta=unit.meta,
    )


@handles(Reprioritise)
def reprioritise(cmd: Reprioritise, unit: Unit) -> None:
    unit.get(Team, cmd.team_id, field="team_id")
    cycle = unit.cycle(cmd.cycle_id)
    unit.require_team(cmd.team_id, "reprioritise")
    priorities = unit.target(Priorities, Priorities.id_for(cmd.team_id, cmd.cycle_id))
    priorities.reprioritise(cmd.order, cycle, unit.meta)
