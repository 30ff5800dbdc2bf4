"""A key result's check-ins: the value type, the rules a check-in's value and notes keep, and
the acts that record check-ins, corrections and a score override."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from ledger.aim import MILESTONE
from ledger.base import (
    LedgerAggregate,
    optional_text,
    require_choice,
    require_finite,
    require_text,
)
from ledger.cycle import ACTIVE, REVIEW
from ledger.exceptions import NotFound, RuleViolation
from ledger.meta import Meta

if TYPE_CHECKING:
    from ledger.cycle import Cycle

CONFIDENCES = ("on_track", "at_risk", "off_track")
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

    @classmethod
    def recorded(cls, event: CheckInEvent, supersedes: UUID | None = None) -> CheckIn:
        """The check-in an event records (a correction names the one it supersedes)."""
        return cls(
            id=event.check_in_id,
            value=event.value,
            confidence=event.confidence,
            note=event.note,
            blockers=tuple(event.blockers),
            effective_at=event.meta.effective_at,
            recorded_at=event.timestamp,
            actor=event.meta.actor,
            supersedes=supersedes,
        )


class CheckInEvent(Protocol):
    """What a check-in's event (``KeyResult.CheckedIn``, ``CheckInCorrected``) carries."""

    check_in_id: UUID
    value: Decimal
    confidence: str
    note: str
    blockers: list[str]
    meta: Meta
    timestamp: datetime


@dataclass(frozen=True)
class ScoreOverride:
    score: Decimal
    reason: str
    actor: str
    recorded_at: datetime


def check_value(kind: str, value: Decimal) -> Decimal:
    require_finite(value, "value")
    if kind == MILESTONE and value not in (Decimal(0), Decimal(1)):
        raise RuleViolation(
            "milestone_value",
            "a milestone checks in 0 (not reached) or 1 (reached)",
            field="value",
        )
    return value


def check_notes(note: str, blockers: Sequence[str]) -> tuple[str, list[str]]:
    if len(blockers) > MAX_BLOCKERS:
        raise RuleViolation("too_many", f"at most {MAX_BLOCKERS} blockers", field="blockers")
    return (
        optional_text(note, "note"),
        [require_text(b, "blockers", max_length=500) for b in blockers],
    )


def current(check_ins: dict[UUID, CheckIn], as_of: datetime | None) -> list[CheckIn]:
    """Check-ins not superseded, in effective-time order (optionally up to ``as_of``)."""
    live = [c for c in check_ins.values() if c.superseded_by is None]
    if as_of is not None:
        live = [c for c in live if c.effective_at <= as_of]
    return sorted(live, key=lambda c: (c.effective_at, c.recorded_at))


class CheckInLog:
    """A key result's measurements: check-ins, their corrections and a score override, and
    reading the current ones. Mixed into ``KeyResult``, whose events these acts record."""

    if TYPE_CHECKING:
        kind: str
        status: str
        check_ins: dict[UUID, CheckIn]
        CheckedIn: type[LedgerAggregate.Event]
        CheckInCorrected: type[LedgerAggregate.Event]
        ScoreOverridden: type[LedgerAggregate.Event]

        def _record(
            self, event_class: type[LedgerAggregate.Event], meta: Meta, **fields: Any
        ) -> None: ...

        def _require_live(self, act: str) -> None: ...

    def current_check_ins(self, *, as_of: datetime | None = None) -> list[CheckIn]:
        """Check-ins not superseded, in effective-time order (optionally up to ``as_of``)."""
        return current(self.check_ins, as_of)

    def latest_check_in(self, *, as_of: datetime | None = None) -> CheckIn | None:
        current = self.current_check_ins(as_of=as_of)
        return current[-1] if current else None

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
        note, blocker_list = check_notes(note, blockers)
        self._record(
            self.CheckedIn,
            meta,
            check_in_id=check_in_id,
            value=check_value(self.kind, value),
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
        note, blocker_list = check_notes(note, blockers)
        self._record(
            self.CheckInCorrected,
            meta.effective(original.effective_at),
            check_in_id=check_in_id,
            supersedes=supersedes,
            value=check_value(self.kind, value),
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
