"""Decision: what a review forum decided. The events it leads to name it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import LedgerAggregate, require_choice, require_text, unique
from ledger.exceptions import RuleViolation
from ledger.meta import Meta

if TYPE_CHECKING:
    from ledger.cycle import Cycle

DECISION_TYPES = (
    "reprioritise",
    "reallocate",
    "change_scope",
    "change_initiative",
    "stop_initiative",
    "retarget",
    "drop",
    "escalate",
    "other",
)


class Decision(LedgerAggregate):
    class Recorded(LedgerAggregate.Created):
        cycle_id: UUID | None
        forum: str
        decided_by: list[str]
        decision_type: str
        summary: str
        rationale: str
        affects: list[UUID]
        strategy_id: UUID | None
        choice_ids: list[UUID]

        def apply(self, decision: Decision) -> None:
            decision.cycle_id = self.cycle_id
            decision.forum = self.forum
            decision.decided_by = tuple(self.decided_by)
            decision.decision_type = self.decision_type
            decision.summary = self.summary
            decision.rationale = self.rationale
            decision.affects = tuple(self.affects)
            decision.strategy_id = self.strategy_id
            decision.choice_ids = tuple(self.choice_ids)

    if TYPE_CHECKING:
        cycle_id: UUID | None
        forum: str
        decided_by: tuple[str, ...]
        decision_type: str
        summary: str
        rationale: str
        affects: tuple[UUID, ...]
        strategy_id: UUID | None
        choice_ids: tuple[UUID, ...]

    @classmethod
    def record(
        cls,
        *,
        decision_id: UUID,
        cycle: Cycle | None,
        forum: str,
        decided_by: Sequence[str],
        decision_type: str,
        summary: str,
        rationale: str,
        affects: Sequence[UUID] = (),
        strategy_id: UUID | None = None,
        choice_ids: Sequence[UUID] = (),
        meta: Meta,
    ) -> Decision:
        """Record a forum's decision. The caller has checked that ``affects`` and
        ``choice_ids`` name things that exist."""
        if cycle is not None:
            cycle.guard_change("record a decision", meta)
        if not decided_by:
            raise RuleViolation("decided_by_required", "name who decided", field="decided_by")
        return cls._begin(
            cls.Recorded,
            decision_id,
            meta,
            cycle_id=cycle.id if cycle else None,
            forum=require_text(forum, "forum", max_length=200),
            decided_by=[
                require_text(name, "decided_by", max_length=200)
                for name in unique(decided_by, "decided_by")
            ],
            decision_type=require_choice(decision_type, DECISION_TYPES, "decision_type"),
            summary=require_text(summary, "summary", max_length=500),
            rationale=require_text(rationale, "rationale"),
            affects=unique(affects, "affects"),
            strategy_id=strategy_id,
            choice_ids=unique(choice_ids, "choice_ids"),
        )
