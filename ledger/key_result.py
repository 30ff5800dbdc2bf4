"""Key result: measurable evidence that an objective happened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.base import (
    LedgerAggregate,
    natural_id,
    optional_text,
    require_choice,
    require_finite,
    require_positive,
    require_status,
    require_text,
)
from ledger.cycle import ACTIVE, REVIEW
from ledger.exceptions import AlreadyExists, NotFound, RuleViolation
from ledger.meta import Meta
from ledger.objective import CarriedFrom

if TYPE_CHECKING:
    from ledger.cycle import Cycle
    from ledger.objective import Objective

INCREASE, DECREASE, BAND, MILESTONE, BASELINE = (
    "increase",
    "decrease",
    "band",
    "milestone",
    "baseline",
)
KINDS = (INCREASE, DECREASE, BAND, MILESTONE, BASELINE)
"""Move a metric up or down, keep it inside a band, reach a milestone by a date,
or establish a baseline (a learning key result)."""
CLASSIFICATIONS = ("committed", "stretch", "experimental")
CONFIDENCES = ("on_track", "at_risk", "off_track")
LIVE, DROPPED = "live", "dropped"
MAX_BLOCKERS = 20


@dataclass(frozen=True)
class CheckIn:
    id: UUID
    value: Decimal
    confidence: str
    note: str
    blockers: tuple[str, ...]
    effective_at: datetime
    recorded_at: datetime
    actor: str
    supersedes: UUID | None = None
    superseded_by: UUID | None = None


@dataclass(frozen=True)
class ScoreOverride:
    score: Decimal
    reason: str
    actor: str
    recorded_at: datetime


@dataclass(frozen=True)
class Target:
    """What a key result aims at; which fields matter depends on its kind."""

    baseline: Decimal | None
    target: Decimal | None
    band_low: Decimal | None
    band_high: Decimal | None
    deadline: date | None


def check_target(kind: str, t: Target) -> None:
    for name in ("baseline", "target", "band_low", "band_high"):
        require_finite(getattr(t, name), name)
    if kind in (INCREASE, DECREASE):
        if t.band_low is not None or t.band_high is not None:
            raise RuleViolation(
                "band_not_allowed", f"an {kind} key result has no band", field="band_low"
            )
        if t.baseline is not None and t.target is not None:
            if t.target == t.baseline:
                raise RuleViolation(
                    "target_equals_baseline",
                    "the target must differ from the baseline",
                    field="target",
                )
            if (kind == INCREASE) != (t.target > t.baseline):
                direction = "above" if kind == INCREASE else "below"
                raise RuleViolation(
                    "target_direction",
                    f"an {kind} key result needs a target {direction} its baseline",
                    field="target",
                )
    elif kind == BAND:
        if t.band_low is None or t.band_high is None:
            raise RuleViolation(
                "band_required",
                "a band key result needs band_low and band_high",
                field="band_low",
            )
        if t.band_low >= t.band_high:
            raise RuleViolation("band_order", "band_low must be below band_high", field="band_low")
        if t.target is not None:
            raise RuleViolation(
                "target_not_allowed",
                "a band key result keeps a band, not a target",
                field="target",
            )
    else:
        for name, code in (
            ("target", "target_not_allowed"),
            ("band_low", "band_low_not_allowed"),
            ("band_high", "band_high_not_allowed"),
        ):
            if getattr(t, name) is not None:
                raise RuleViolation(code, f"a {kind} key result has no {name}", field=name)
        if kind == BASELINE and t.baseline is not None:
            raise RuleViolation(
                "baseline_not_allowed",
                "a baseline key result establishes its baseline by checking in",
                field="baseline",
            )


def is_easing(kind: str, old: Target, new: Target) -> bool:
    """Whether moving from ``old`` to ``new`` makes the key result easier to hit."""
    if old.deadline and new.deadline and new.deadline > old.deadline:
        return True
    if old.deadline and new.deadline is None:
        return True
    if kind == INCREASE and old.target is not None and new.target is not None:
        return new.target < old.target
    if kind == DECREASE and old.target is not None and new.target is not None:
        return new.target > old.target
    if kind == BAND:
        lows, highs = (old.band_low, new.band_low), (old.band_high, new.band_high)
        wider_low = None not in lows and lows[1] < lows[0]  # type: ignore[operator]
        wider_high = None not in highs and highs[1] > highs[0]  # type: ignore[operator]
        return wider_low or wider_high
    return False


class KeyResult(LedgerAggregate):
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
            kr.check_ins[self.check_in_id] = CheckIn(
                id=self.check_in_id,
                value=self.value,
                confidence=self.confidence,
                note=self.note,
                blockers=tuple(self.blockers),
                effective_at=self.meta.effective_at,
                recorded_at=self.timestamp,
                actor=self.meta.actor,
            )

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
            kr.check_ins[self.check_in_id] = CheckIn(
                id=self.check_in_id,
                value=self.value,
                confidence=self.confidence,
                note=self.note,
                blockers=tuple(self.blockers),
                effective_at=self.meta.effective_at,
                recorded_at=self.timestamp,
                actor=self.meta.actor,
                supersedes=self.supersedes,
            )

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
            baseline=baseline,
            target=target,
            band_low=band_low,
            band_high=band_high,
            unit=optional_text(unit, "unit", max_length=40),
            deadline=deadline,
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

    def current_check_ins(self, *, as_of: datetime | None = None) -> list[CheckIn]:
        """Check-ins not superseded, in effective-time order (optionally up to ``as_of``)."""
        current = [c for c in self.check_ins.values() if c.superseded_by is None]
        if as_of is not None:
            current = [c for c in current if c.effective_at <= as_of]
        return sorted(current, key=lambda c: (c.effective_at, c.recorded_at))

    def latest_check_in(self, *, as_of: datetime | None = None) -> CheckIn | None:
        current = self.current_check_ins(as_of=as_of)
        return current[-1] if current else None

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

    def _check_value(self, value: Decimal) -> Decimal:
        require_finite(value, "value")
        if self.kind == MILESTONE and value not in (Decimal(0), Decimal(1)):
            raise RuleViolation(
                "milestone_value",
                "a milestone checks in 0 (not reached) or 1 (reached)",
                field="value",
            )
        return value

    @staticmethod
    def _check_notes(note: str, blockers: Sequence[str]) -> tuple[str, list[str]]:
        if len(blockers) > MAX_BLOCKERS:
            raise RuleViolation("too_many", f"at most {MAX_BLOCKERS} blockers", field="blockers")
        return (
            optional_text(note, "note"),
            [require_text(b, "blockers", max_length=500) for b in blockers],
        )

    def check_in(
        self,
        *,
        check_in_id: UUID,
        value: Decimal,
        confidence: str,
        note: str = "",
        blockers: Sequence[str] = (),
        cycle: Cycle,
        meta: Meta,
    ) -> None:
        cycle.guard_change("check in", meta)
        cycle.guard_status("check in", (ACTIVE, REVIEW))
        self._require_live("check in")
        cycle.guard_effective_time("a check-in", meta)
        if check_in_id in self.check_ins:
            raise RuleViolation(
                "duplicate", "that check-in id is already used", field="check_in_id"
            )
        note, blocker_list = self._check_notes(note, blockers)
        self._record(
            self.CheckedIn,
            meta,
            check_in_id=check_in_id,
            value=self._check_value(value),
            confidence=require_choice(confidence, CONFIDENCES, "confidence"),
            note=note,
            blockers=blocker_list,
        )

    def correct_check_in(
        self,
        *,
        check_in_id: UUID,
        supersedes: UUID,
        value: Decimal,
        confidence: str,
        note: str = "",
        blockers: Sequence[str] = (),
        cycle: Cycle,
        meta: Meta,
    ) -> None:
        """Record what the check-in should have said; the original stays visible.

        The correction is effective when the original was: it states what was true then.
        A closed cycle accepts it, as it accepts carrying work forward
        (``CLOSED_CYCLE_RULE``).
        """
        cycle.guard_change("correct a check-in", meta, correction=True)
        meta.require_reason("correcting a check-in")
        original = self.check_ins.get(supersedes)
        if original is None:
            raise NotFound("check-in", supersedes, field="supersedes")
        if original.superseded_by is not None:
            raise RuleViolation(
                "already_superseded",
                f"check-in {supersedes} was already corrected by {original.superseded_by}",
                field="supersedes",
            )
        if check_in_id in self.check_ins:
            raise RuleViolation(
                "duplicate", "that check-in id is already used", field="check_in_id"
            )
        note, blocker_list = self._check_notes(note, blockers)
        self._record(
            self.CheckInCorrected,
            meta.effective(original.effective_at),
            check_in_id=check_in_id,
            supersedes=supersedes,
            value=self._check_value(value),
            confidence=require_choice(confidence, CONFIDENCES, "confidence"),
            note=note,
            blockers=blocker_list,
        )

    def override_score(self, score: Decimal, cycle: Cycle, meta: Meta) -> None:
        """Override the computed score in review; the computed score stays visible.

        A closed cycle refuses it (``CLOSED_CYCLE_RULE``): reopen the cycle first.
        """
        cycle.guard_change("override a score", meta)
        cycle.guard_status("override a score", (REVIEW,))
        self._require_live("override the score")
        meta.require_reason("overriding a score")
        require_finite(score, "score")
        if not Decimal(0) <= score <= Decimal(1):
            raise RuleViolation("score_range", "a score lies in 0.0-1.0", field="score")
        self._record(self.ScoreOverridden, meta, score=score)

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
            baseline=aim.baseline,
            target=aim.target,
            band_low=aim.band_low,
            band_high=aim.band_high,
            unit=self.unit,
            deadline=aim.deadline,
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


def aim_met(kr: KeyResult) -> bool:
    """Whether the latest value meets the aim: a metric at or past its target, a
    milestone reached, a baseline measured (a band is kept, never met)."""
    aim, latest = kr.aim, kr.latest_check_in()
    if latest is None:
        return False
    if kr.kind == INCREASE:
        return aim.target is not None and latest.value >= aim.target
    if kr.kind == DECREASE:
        return aim.target is not None and latest.value <= aim.target
    if kr.kind == MILESTONE:
        return latest.value == 1
    return kr.kind == BASELINE


def carried_aim(kr: KeyResult, ends_on: date, field: str = "key_result_id") -> Target:
    """What a carried key result aims at: the same target or band, from where the work
    got to (a metric's latest value becomes its baseline), by the end of the next cycle
    if it had a deadline. One that has met its aim is not carried (``aim_met``)."""
    if aim_met(kr):
        raise RuleViolation(
            "aim_met",
            f"key result {kr.id} has met its aim; define a new key result instead",
            field=field,
        )
    aim, latest = kr.aim, kr.latest_check_in()
    baseline = aim.baseline
    if latest is not None and kr.kind in (INCREASE, DECREASE):
        baseline = latest.value
    deadline = ends_on if aim.deadline is not None else None
    return Target(baseline, aim.target, aim.band_low, aim.band_high, deadline)
