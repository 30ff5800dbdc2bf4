"""Priorities: the ranked order of a team's objectives in a cycle.

Drafting an objective appends it to the bottom of its team's order and dropping it
takes it out, in the same transaction, so the order always covers exactly the team's
objectives that have not been dropped (closing one with its reflection keeps its
rank). A reprioritisation is a new full order with a rationale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.base import LedgerAggregate, natural_id
from ledger.exceptions import RuleViolation
from ledger.meta import Meta

if TYPE_CHECKING:
    from ledger.cycle import Cycle


class Priorities(LedgerAggregate):
    class Established(LedgerAggregate.Created):
        team_id: UUID
        cycle_id: UUID

        def apply(self, priorities: Priorities) -> None:
            priorities.team_id = self.team_id
            priorities.cycle_id = self.cycle_id
            priorities.order = []

    class ObjectiveEntered(LedgerAggregate.Event):
        objective_id: UUID

        def apply(self, priorities: Priorities) -> None:
            priorities.order.append(self.objective_id)

    class ObjectiveLeft(LedgerAggregate.Event):
        objective_id: UUID

        def apply(self, priorities: Priorities) -> None:
            priorities.order.remove(self.objective_id)

    class Reprioritised(LedgerAggregate.Event):
        order: list[UUID]
        previous_order: list[UUID]

        def apply(self, priorities: Priorities) -> None:
            priorities.order = list(self.order)

    if TYPE_CHECKING:
        team_id: UUID
        cycle_id: UUID
        order: list[UUID]

    @staticmethod
    def id_for(team_id: UUID, cycle_id: UUID) -> UUID:
        return natural_id("priorities", team_id, cycle_id)

    @classmethod
    def establish(cls, *, team_id: UUID, cycle_id: UUID, meta: Meta) -> Priorities:
        return cls._begin(
            cls.Established,
            cls.id_for(team_id, cycle_id),
            meta,
            team_id=team_id,
            cycle_id=cycle_id,
        )

    def rank_of(self, objective_id: UUID) -> int | None:
        """1-based rank, or None for an objective not in the order."""
        try:
            return self.order.index(objective_id) + 1
        except ValueError:
            return None

    def enter(self, objective_id: UUID, meta: Meta) -> None:
        if objective_id in self.order:
            raise RuleViolation("already_ranked", "the objective is already ranked")
        self._record(self.ObjectiveEntered, meta, objective_id=objective_id)

    def leave(self, objective_id: UUID, meta: Meta) -> None:
        if objective_id in self.order:
            self._record(self.ObjectiveLeft, meta, objective_id=objective_id)

    def reprioritise(self, order: Sequence[UUID], cycle: Cycle, meta: Meta) -> None:
        """Replace the ranking with ``order``, which must be a permutation of the
        team's objectives in this cycle that have not been dropped."""
        cycle.guard_change("reprioritise", meta)
        meta.require_reason("reprioritising")
        order = list(order)
        if len(set(order)) != len(order) or set(order) != set(self.order):
            missing = [str(o) for o in self.order if o not in order]
            extra = [str(o) for o in order if o not in self.order]
            detail = []
            if missing:
                detail.append(f"missing {', '.join(missing)}")
            if extra:
                detail.append(f"not ranked in this team and cycle: {', '.join(extra)}")
            if len(set(order)) != len(order):
                detail.append("an objective appears twice")
            raise RuleViolation(
                "not_a_permutation",
                "the order must rank every objective of the team in this cycle that has "
                "not been dropped, exactly once (" + "; ".join(detail) + ")",
                field="order",
            )
        if order == self.order:
            raise RuleViolation("no_change", "the order is unchanged", field="order")
        self._record(self.Reprioritised, meta, order=order, previous_order=list(self.order))
