"""Key result: measurable evidence that an objective happened."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.aim import (
    BAND,
    BASELINE,
    DECREASE,
    INCREASE,
    KINDS,
    MILESTONE,
    Target,
    aim_met,
    carried_aim,
    check_target,
    is_easing,
)
from ledger.base import (
    LedgerAggregate,
    natural_id,
    optional_text,
    require_choice,
    require_positive,
    require_status,
    require_text,
)
from ledger.check_ins import (
    CONFIDENCES,
    CheckIn,
    CheckInLog,
    ScoreOverride,
)
from ledger.exceptions import AlreadyExists, RuleViolation
from ledger.meta import Meta
from ledger.objective import CarriedFrom

if TYPE_CHECKING:
    from ledger.cycle import Cycle
    from ledger.objective import Objective

__all__ = [  # re-exported: readers of key results find the aim's and check-ins' names here
    "BAND",
    "BASELINE",
    "CONFIDENCES",
    "DECREASE",
    "INCREASE",
    "KINDS",
    "MILESTONE",
    "CheckIn",
    "ScoreOverride",
    "Target",
    "aim_met",
    "carried_aim",
    "check_target",
    "is_easing",
]

CLASSIFICATIONS = ("committed", "stretch", "experimental")
LIVE, DROPPED = "live", "dropped"


class KeyResult(LedgerAggregate, CheckInLog):
    class Defined(LedgerAggregate.Created):
        class_version = 2

        objective_id: UUID
        team_id: UUID
        cycle_id: UUID
        statement: str
        kind: str
        baseline: Decimal | None
        target: Decimal | None
        band_low: Decimal | None
        band_high: Decimal | None
        unit: str
        deadline: date | None
        classification: str
        weight: Decimal
        owner: str
        carried_from: UUID | None
        """The key result this one carries forward (None when defined afresh)."""
        carried_from_cycle_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(carried_from=None, carried_from_cycle_id=None)

        def apply(self, kr: KeyResult) -> None:
            kr.objective_id = self.objective_id
            kr.team_id = self.team_id
            kr.cycle_id = self.cycle_id
            kr.statement = self.statement
            kr.kind = self.kind
            kr.aim = Target(
                self.baseline, self.target, self.band_low, self.band_high, self.deadline
            )
            kr.unit = self.unit
            kr.classification = self.classification
            kr.weight = self.weight
            kr.owner = self.owner
            kr.status = LIVE
            kr.check_ins = {}
            kr.override = None
            kr.carried_from = (
                None
                if self.carried_from is None or self.carried_from_cycle_id is None
                else CarriedFrom(self.carried_from, self.carried_from_cycle_id)
            )
            kr.carried_to = {}

    class Reworded(LedgerAggregate.Event):
        statement: str

        def apply(self, kr: KeyResult) -> None:
            kr.statement = self.statement

    class OwnerChanged(LedgerAggregate.Event):
        owner: str

        def apply(self, kr: KeyResult) -> None:
            kr.owner = self.owner

    class Reweighted(LedgerAggregate.Event):
        weight: Decimal

        def apply(self, kr: KeyResult) -> None:
            kr.weight = self.weight

    class Retargeted(LedgerAggregate.Event):
        target: Decimal | None
        band_low: Decimal | None
        band_high: Decimal | None
        deadline: date | None
        previous_target: Decimal | None
        previous_band_low: Decimal | None
        previous_band_high: Decimal | None
        previous_deadline: date | None
        easing: bool

        def apply(self, kr: KeyResult) -> None:
            kr.aim = replace(
                kr.aim,
                target=self.target,
                band_low=self.band_low,
                band_high=self.band_high,
                deadline=self.deadline,
            )

    class CheckedIn(LedgerAggregate.Event):
        check_in_id: UUID
        value: Decimal
        confidence: str
        note: str
        blockers: list[str]

        def apply(self, kr: KeyResult) -> None:
            kr.check_ins[self.check_in_id] = CheckIn.recorded(self)

    class CheckInCorrected(LedgerAggregate.Event):
        """A new check-in that supersedes an earlier one, which stays visible."""

        check_in_id: UUID
        supersedes: UUID
        value: Decimal
        confidence: str
        note: str
        blockers: list[str]

        def apply(self, kr: KeyResult) -> None:
            old = kr.check_ins[self.supersedes]
            kr.check_ins[self.supersedes] = replace(old, superseded_by=self.check_in_id)
            kr.check_ins[self.check_in_id] = CheckIn.recorded(self, self.supersedes)

    class ScoreOverridden(LedgerAggregate.Event):
        score: Decimal

        def apply(self, kr: KeyResult) -> None:
            kr.override = ScoreOverride(
                self.score, self.meta.reason or "", self.meta.actor, self.timestamp
            )

    class Dropped(LedgerAggregate.Event):
        def apply(self, kr: KeyResult) -> None:
            kr.status = DROPPED

    class CarriedForward(LedgerAggregate.Event):
        """Carried into a later cycle as a new key result (the original stays as it was)."""

        key_result_id: UUID
        objective_id: UUID
        cycle_id: UUID

        def apply(self, kr: KeyResult) -> None:
            kr.carried_to[self.cycle_id] = self.key_result_id

    if TYPE_CHECKING:
        objective_id: UUID
        team_id: UUID
        cycle_id: UUID
        statement: str
        kind: str
        aim: Target
        unit: str
        classification: str
        weight: Decimal
        owner: str
        status: str
        check_ins: dict[UUID, CheckIn]
        override: ScoreOverride | None
        carried_from: CarriedFrom | None
        carried_to: dict[UUID, UUID]
        """cycle id → the key result this one was carried to there"""

    @staticmethod
    def id_for(team_id: UUID, cycle_id: UUID, key: str) -> UUID:
        """The id of the key result with natural ``key`` in a team's cycle."""
        return natural_id("key-result", team_id, cycle_id, key)

    @classmethod
    def define(
        cls,
        *,
        key_result_id: UUID,
        objective: Objective,
        cycle: Cycle,
        statement: str,
        kind: str,
        baseline: Decimal | None = None,
        target: Decimal | None = None,
        band_low: Decimal | None = None,
        band_high: Decimal | None = None,
        unit: str = "",
        deadline: date | None = None,
        classification: str = "committed",
        weight: Decimal = Decimal(1),
        owner: str,
        meta: Meta,
    ) -> KeyResult:
        cycle.guard_change("define a key result", meta)
        require_status("objective", objective.status, ("live",), "define a key result")
        require_choice(kind, KINDS, "kind")
        aim = Target(baseline, target, band_low, band_high, deadline)
        check_target(kind, aim)
        return cls._begin(
            cls.Defined,
            key_result_id,
            meta,
            objective_id=objective.id,
            team_id=objective.team_id,
            cycle_id=objective.cycle_id,
            statement=require_text(statement, "statement", max_length=500),
            kind=kind,
            **asdict(aim),
            unit=optional_text(unit, "unit", max_length=40),
            classification=require_choice(classification, CLASSIFICATIONS, "classification"),
            weight=require_positive(weight, "weight"),
            owner=require_text(owner, "owner", max_length=200),
            carried_from=None,
            carried_from_cycle_id=None,
        )

    # -- reading ---------------------------------------------------------------------

    @property
    def baseline(self) -> Decimal | None:
        return self.aim.baseline

    @property
    def target(self) -> Decimal | None:
        return self.aim.target

    @property
    def is_live(self) -> bool:
        return self.status == LIVE

    # -- acts ------------------------------------------------------------------------

    def _require_live(self, act: str) -> None:
        require_status("key result", self.status, (LIVE,), act)

    def reword(self, statement: str, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("reword a key result", meta)
        self._require_live("reword the key result")
        statement = require_text(statement, "statement", max_length=500)
        if statement == self.statement:
            raise RuleViolation("no_change", "the wording is unchanged", field="statement")
        self._record(self.Reworded, meta, statement=statement)

    def change_owner(self, owner: str, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("change a key result's owner", meta)
        self._require_live("change the owner")
        owner = require_text(owner, "owner", max_length=200)
        if owner == self.owner:
            raise RuleViolation("no_change", "that is already the owner", field="owner")
        self._record(self.OwnerChanged, meta, owner=owner)

    def reweight(self, weight: Decimal, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("reweight a key result", meta)
        self._require_live("reweight the key result")
        meta.require_reason("reweighting a key result")
        require_positive(weight, "weight")
        if weight == self.weight:
            raise RuleViolation("no_change", "the weight is unchanged", field="weight")
        self._record(self.Reweighted, meta, weight=weight)

    def retarget(
        self,
        *,
        target: Decimal | None = None,
        band_low: Decimal | None = None,
        band_high: Decimal | None = None,
        deadline: date | None = None,
        cycle: Cycle,
        meta: Meta,
    ) -> None:
        """Move the target, band or deadline. Fields left out keep their value.

        A reason is always required; a change that makes the key result easier to hit
        is recorded as easing.
        """
        cycle.guard_change("retarget a key result", meta)
        self._require_live("retarget the key result")
        meta.require_reason("retargeting a key result")
        old = self.aim
        new = Target(
            old.baseline,
            target if target is not None else old.target,
            band_low if band_low is not None else old.band_low,
            band_high if band_high is not None else old.band_high,
            deadline if deadline is not None else old.deadline,
        )
        if new == old:
            raise RuleViolation("no_change", "the retarget changes nothing", field="target")
        check_target(self.kind, new)
        self._record(
            self.Retargeted,
            meta,
            target=new.target,
            band_low=new.band_low,
            band_high=new.band_high,
            deadline=new.deadline,
            previous_target=old.target,
            previous_band_low=old.band_low,
            previous_band_high=old.band_high,
            previous_deadline=old.deadline,
            easing=is_easing(self.kind, old, new),
        )

    def drop(self, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("drop a key result", meta)
        self._require_live("drop the key result")
        meta.require_reason("dropping a key result")
        self._record(self.Dropped, meta)

    def carry_forward(
        self,
        *,
        key_result_id: UUID,
        objective: Objective,
        source: Cycle,
        target: Cycle,
        meta: Meta,
        field: str = "key_result_id",
    ) -> KeyResult:
        """Carry the key result into a later cycle, under ``objective`` there: a new key
        result from where this one got to (``carried_aim``), and an event here naming
        it. Allowed in review and in a closed cycle (``CARRY_FORWARD_RULE``)."""
        source.guard_carry_into(target)
        self._require_live("carry the key result forward")
        if target.id in self.carried_to:
            raise AlreadyExists("carried key result", self.carried_to[target.id])
        if objective.cycle_id != target.id:
            raise RuleViolation(
                "carry_target",
                "the objective a carried key result goes under is not in that cycle",
                field="objective_id",
            )
        require_status("objective", objective.status, ("live",), "carry a key result under it")
        aim = carried_aim(self, target.ends_on, field)
        carried = KeyResult._begin(
            KeyResult.Defined,
            key_result_id,
            meta,
            objective_id=objective.id,
            team_id=objective.team_id,
            cycle_id=target.id,
            statement=self.statement,
            kind=self.kind,
            **asdict(aim),
            unit=self.unit,
            classification=self.classification,
            weight=self.weight,
            owner=self.owner,
            carried_from=self.id,
            carried_from_cycle_id=self.cycle_id,
        )
        self._record(
            self.CarriedForward,
            meta,
            key_result_id=carried.id,
            objective_id=objective.id,
            cycle_id=target.id,
        )
        return carried
