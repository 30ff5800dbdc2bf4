from __future__ import annotations

from uuid import UUID, uuid4

from commands.bus import Unit, handles
from commands.messages import (
    ChangeKeyResultOwner,
    CheckIn,
    CorrectCheckIn,
    DefineKeyResult,
    DropKeyResult,
    OverrideScore,
    RetargetKeyResult,
    ReweightKeyResult,
    RewordKeyResult,
)
from ledger.base import require_text
from ledger.exceptions import AlreadyExists
from ledger.key_result import KeyResult
from ledger.objective import Objective


def _key_result(unit: Unit, key_result_id: UUID, act: str) -> KeyResult:
    kr = unit.target(KeyResult, key_result_id, field="key_result_id")
    unit.require_team(kr.team_id, act)
    return kr


@handles(DefineKeyResult)
def define_key_result(cmd: DefineKeyResult, unit: Unit) -> None:
    objective = unit.target(Objective, cmd.objective_id, field="objective_id")
    unit.require_team(objective.team_id, "define a key result")
    key_result_id = uuid4()
    if cmd.key is not None:
        key = require_text(cmd.key, "key", max_length=80)
        key_result_id = KeyResult.id_for(objective.team_id, objective.cycle_id, key)
        if unit.find(KeyResult, key_result_id):
            raise AlreadyExists("key result", cmd.key)
    kr = KeyResult.define(
        key_result_id=key_result_id,
        objective=objective,
        cycle=unit.cycle(objective.cycle_id),
        statement=cmd.statement,
        kind=cmd.kind,
        baseline=cmd.baseline,
        target=cmd.target,
        band_low=cmd.band_low,
        band_high=cmd.band_high,
        unit=cmd.unit,
        deadline=cmd.deadline,
        classification=cmd.classification,
        weight=cmd.weight,
        owner=cmd.owner,
        meta=unit.meta,
    )
    objective.add_key_result(kr, unit.meta)
    unit.add(kr, created=True)


@handles(RewordKeyResult)
def reword_key_result(cmd: RewordKeyResult, unit: Unit) -> None:
    kr = _key_result(unit, cmd.key_result_id, "reword a key result")
    kr.reword(cmd.statement, unit.cycle(kr.cycle_id), unit.meta)


@handles(ChangeKeyResultOwner)
def change_key_result_owner(cmd: ChangeKeyResultOwner, unit: Unit) -> None:
    kr = _key_result(unit, cmd.key_result_id, "change a key result's owner")
    kr.change_owner(cmd.owner, unit.cycle(kr.cycle_id), unit.meta)


@handles(ReweightKeyResult)
def reweight_key_result(cmd: ReweightKeyResult, unit: Unit) -> None:
    kr = _key_result(unit, cmd.key_result_id, "reweight a key result")
    kr.reweight(cmd.weight, unit.cycle(kr.cycle_id), unit.meta)


@handles(RetargetKeyResult)
def retarget_key_result(cmd: RetargetKeyResult, unit: Unit) -> None:
    kr = _key_result(unit, cmd.key_result_id, "retarget a key result")
    kr.retarget(
        target=cmd.target,
        band_low=cmd.band_low,
        band_high=cmd.band_high,
        deadline=cmd.deadline,
        cycle=unit.cycle(kr.cycle_id),
        meta=unit.meta,
    )


@handles(CheckIn)
def check_in(cmd: CheckIn, unit: Unit) -> None:
    kr = _key_result(unit, cmd.key_result_id, "check in")
    check_in_id = uuid4()
    kr.check_in(
        check_in_id=check_in_id,
        value=cmd.value,
        confidence=cmd.confidence,
        note=cmd.note,
        blockers=cmd.blockers,
        cycle=unit.cycle(kr.cycle_id),
        meta=unit.meta,
    )
    unit.created_id = check_in_id


@handles(CorrectCheckIn)
def correct_check_in(cmd: CorrectCheckIn, unit: Unit) -> None:
    kr = _key_result(unit, cmd.key_result_id, "correct a check-in")
    check_in_id = uuid4()
    kr.correct_check_in(
        check_in_id=check_in_id,
        supersedes=cmd.supersedes,
        value=cmd.value,
        confidence=cmd.confidence,
        note=cmd.note,
        blockers=cmd.blockers,
        cycle=unit.cycle(kr.cycle_id),
        meta=unit.meta,
    )
    unit.created_id = check_in_id


@handles(OverrideScore)
def override_score(cmd: OverrideScore, unit: Unit) -> None:
    kr = _key_result(unit, cmd.key_result_id, "override a score")
    kr.override_score(cmd.score, unit.cycle(kr.cycle_id), unit.meta)


@handles(DropKeyResult)
def drop_key_result(cmd: DropKeyResult, unit: Unit) -> None:
    kr = _key_result(unit, cmd.key_result_id, "drop a key result")
    kr.drop(unit.cycle(kr.cycle_id), unit.meta)
