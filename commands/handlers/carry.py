"""Carrying unfinished work into a later cycle (``ledger.cycle.CARRY_FORWARD_RULE``).

The new objective or key result has an id derived from the original's and the target
cycle's, so a second request for the same carry finds it there (409 already_exists).
"""

from __future__ import annotations

from uuid import UUID

from commands.bus import Unit, handles
from commands.handlers.objectives import enter_priorities
from commands.messages import CarryKeyResultForward, CarryObjectiveForward
from ledger.base import natural_id
from ledger.cycle import Cycle
from ledger.exceptions import RuleViolation
from ledger.key_result import KeyResult, aim_met
from ledger.objective import Objective
from ledger.strategy import Strategy


def carried_objective_id(original: UUID, cycle: UUID) -> UUID:
    return natural_id("carried-objective", original, cycle)


def carried_key_result_id(original: UUID, cycle: UUID) -> UUID:
    return natural_id("carried-key-result", original, cycle)


@handles(CarryObjectiveForward)
def carry_objective_forward(cmd: CarryObjectiveForward, unit: Unit) -> None:
    original = unit.target(Objective, cmd.objective_id, field="objective_id")
    unit.require_team(original.team_id, "carry an objective forward")
    source = unit.cycle(original.cycle_id)
    target = unit.cycle(cmd.cycle_id)
    carried = original.carry_forward(
        objective_id=carried_objective_id(original.id, target.id),
        source=source,
        target=target,
        meta=unit.meta,
    )
    unit.add(carried, created=True)
    enter_priorities(unit, carried)
    keep_links(unit, original, carried, target)
    unit.load(original.key_result_ids)  # one round trip for all
    if cmd.key_result_ids is None:
        chosen = [
            kr
            for kr in (unit.get(KeyResult, i) for i in original.key_result_ids)
            if kr.is_live and target.id not in kr.carried_to and not aim_met(kr)
        ]
    else:
        stray = [i for i in cmd.key_result_ids if i not in original.key_result_ids]
        if stray:
            raise RuleViolation(
                "wrong_objective",
                f"key result {stray[0]} is not one of this objective's",
                field="key_result_ids",
            )
        chosen = [unit.get(KeyResult, i) for i in cmd.key_result_ids]
    for kr in chosen:
        new = kr.carry_forward(
            key_result_id=carried_key_result_id(kr.id, target.id),
            objective=carried,
            source=source,
            target=target,
            meta=unit.meta,
            field="key_result_ids",
        )
        carried.add_key_result(new, unit.meta)
        unit.add(new)


def keep_links(unit: Unit, original: Objective, carried: Objective, target: Cycle) -> None:
    """The carried objective serves the strategic choices the original served (those not
    retired since), and aligns under its parents' own carried versions in that cycle
    where they were carried there first."""
    for choice_id, strategy_id in original.choice_links.items():
        strategy = unit.get(Strategy, strategy_id)
        choice = strategy.choices.get(choice_id)
        if choice is not None and not choice.retired:
            carried.link_to_choice(strategy, choice_id, target, unit.meta)
    unit.load(list(original.parents))
    for parent_id, kind in original.parents.items():
        parent: Objective | KeyResult | None = unit.find(
            Objective if kind == "objective" else KeyResult, parent_id
        )
        moved = parent.carried_to.get(target.id) if parent else None
        if moved is not None:
            new_parent = unit.get(Objective if kind == "objective" else KeyResult, moved)
            if new_parent.is_live:
                carried.align_to(new_parent, (), target, unit.meta)


@handles(CarryKeyResultForward)
def carry_key_result_forward(cmd: CarryKeyResultForward, unit: Unit) -> None:
    original = unit.target(KeyResult, cmd.key_result_id, field="key_result_id")
    unit.require_team(original.team_id, "carry a key result forward")
    source = unit.cycle(original.cycle_id)
    target = unit.cycle(cmd.cycle_id)
    under = cmd.objective_id
    if under is None:
        under = unit.get(Objective, original.objective_id).carried_to.get(target.id)
        if under is None and target.id not in original.carried_to:
            raise RuleViolation(
                "objective_not_carried",
                "its objective was not carried into that cycle: carry the objective, "
                "or name an objective of that cycle",
                field="objective_id",
            )
    # (already carried there: the check below names the carried one, 409)
    objective = unit.get(Objective, under or original.objective_id, field="objective_id")
    unit.require_team(objective.team_id, "carry a key result under this objective")
    new = original.carry_forward(
        key_result_id=carried_key_result_id(original.id, target.id),
        objective=objective,
        source=source,
        target=target,
        meta=unit.meta,
    )
    objective.add_key_result(new, unit.meta)
    unit.add(new, created=True)
