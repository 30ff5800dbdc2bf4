from __future__ import annotations

from uuid import uuid4

from commands.bus import Unit, handles
from commands.messages import (
    AddStrategicChoice,
    FormulateStrategy,
    RestateMission,
    RestateVision,
    RetireStrategicChoice,
    ReviseStrategicChoice,
)
from ledger.exceptions import AlreadyExists
from ledger.strategy import Strategy


@handles(FormulateStrategy)
def formulate_strategy(cmd: FormulateStrategy, unit: Unit) -> None:
    unit.require_admin("formulate a strategy")
    if unit.find(Strategy, Strategy.id_for(cmd.key)):
        raise AlreadyExists("strategy", cmd.key)
    strategy = Strategy.formulate(
        key=cmd.key, name=cmd.name, vision=cmd.vision, mission=cmd.mission, meta=unit.meta
    )
    unit.add(strategy, created=True)


@handles(RestateVision)
def restate_vision(cmd: RestateVision, unit: Unit) -> None:
    unit.require_admin("restate the vision")
    unit.target(Strategy, cmd.strategy_id).restate_vision(cmd.vision, unit.meta)


@handles(RestateMission)
def restate_mission(cmd: RestateMission, unit: Unit) -> None:
    unit.require_admin("restate the mission")
    unit.target(Strategy, cmd.strategy_id).restate_mission(cmd.mission, unit.meta)


@handles(AddStrategicChoice)
def add_strategic_choice(cmd: AddStrategicChoice, unit: Unit) -> None:
    unit.require_admin("add a strategic choice")
    strategy = unit.target(Strategy, cmd.strategy_id)
    choice_id = Strategy.choice_id_for(strategy.key, cmd.key) if cmd.key else uuid4()
    strategy.add_choice(
        choice_id=choice_id, kind=cmd.kind, statement=cmd.statement, meta=unit.meta
    )
    unit.created_id = choice_id


@handles(ReviseStrategicChoice)
def revise_strategic_choice(cmd: ReviseStrategicChoice, unit: Unit) -> None:
    unit.require_admin("revise a strategic choice")
    strategy = unit.target(Strategy, cmd.strategy_id)
    strategy.revise_choice(cmd.choice_id, cmd.statement, unit.meta)


@handles(RetireStrategicChoice)
def retire_strategic_choice(cmd: RetireStrategicChoice, unit: Unit) -> None:
    unit.require_admin("retire a strategic choice")
    unit.target(Strategy, cmd.strategy_id).retire_choice(cmd.choice_id, unit.meta)
