"""Objective: a qualitative statement of the change wanted, and why it matters."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.base import (
    LedgerAggregate,
    natural_id,
    optional_text,
    require_choice,
    require_status,
    require_text,
)
from ledger.cycle import REVIEW
from ledger.exceptions import AlreadyExists, RuleViolation
from ledger.meta import Meta
from ledger.reflection import MISS_CAUSES, OUTCOMES, Reflection, check_causes

if TYPE_CHECKING:
    from ledger.cycle import Cycle
    from ledger.key_result import KeyResult
    from ledger.strategy import Strategy
    from ledger.team import Team

__all__ = ["MISS_CAUSES", "OUTCOMES", "Reflection"]  # re-exported from ledger.reflection

COMMITMENTS = ("committed", "aspirational")
"""Committed objectives are expected to land at 1.0; aspirational ones at about 0.7."""
LIVE, DROPPED, CLOSED = "live", "dropped", "closed"
PARENT_KINDS = ("objective", "key_result")


@dataclass(frozen=True)
class CarriedFrom:
    """Where a carried objective or key result came from: the original, its cycle and,
    for an objective, what its reflection said carries forward."""

    id: UUID
    cycle_id: UUID
    carry_forward: str = ""


class Objective(LedgerAggregate):
    class Drafted(LedgerAggregate.Created):
        class_version = 2

        team_id: UUID
        cycle_id: UUID
        statement: str
        description: str
        owner: str
        commitment: str
        carried_from: UUID | None
        """The objective this one carries forward (None when drafted afresh)."""
        carried_from_cycle_id: UUID | None
        carry_forward: str
        """What the original's reflection said carries forward, as it said it then."""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(carried_from=None, carried_from_cycle_id=None, carry_forward="")

        def apply(self, objective: Objective) -> None:
            objective.team_id = self.team_id
            objective.cycle_id = self.cycle_id
            objective.statement = self.statement
            objective.description = self.description
            objective.owner = self.owner
            objective.commitment = self.commitment
            objective.status = LIVE
            objective.choice_links = {}
            objective.parents = {}
            objective.reflection = None
            objective.key_result_ids = []
            objective.carried_from = (
                None
                if self.carried_from is None or self.carried_from_cycle_id is None
                else CarriedFrom(self.carried_from, self.carried_from_cycle_id, self.carry_forward)
            )
            objective.carried_to = {}

    class KeyResultAdded(LedgerAggregate.Event):
        """Recorded with the key result's definition, so the objective knows its key
        results (to score them, and to drop them with it)."""

        key_result_id: UUID

        def apply(self, objective: Objective) -> None:
            objective.key_result_ids.append(self.key_result_id)

    class Reworded(LedgerAggregate.Event):
        statement: str
        description: str

        def apply(self, objective: Objective) -> None:
            objective.statement = self.statement
            objective.description = self.description

    class OwnerChanged(LedgerAggregate.Event):
        owner: str

        def apply(self, objective: Objective) -> None:
            objective.owner = self.owner

    class LinkedToChoice(LedgerAggregate.Event):
        strategy_id: UUID
        choice_id: UUID

        def apply(self, objective: Objective) -> None:
            objective.choice_links[self.choice_id] = self.strategy_id

    class UnlinkedFromChoice(LedgerAggregate.Event):
        choice_id: UUID

        def apply(self, objective: Objective) -> None:
            del objective.choice_links[self.choice_id]

    class Aligned(LedgerAggregate.Event):
        parent_kind: str
        parent_id: UUID

        def apply(self, objective: Objective) -> None:
            objective.parents[self.parent_id] = self.parent_kind

    class Unaligned(LedgerAggregate.Event):
        parent_id: UUID

        def apply(self, objective: Objective) -> None:
            del objective.parents[self.parent_id]

    class Dropped(LedgerAggregate.Event):
        def apply(self, objective: Objective) -> None:
            objective.status = DROPPED

    class Reflected(LedgerAggregate.Event):
        outcome: str
        achieved: str
        why: str
        causes: list[str]
        carry_forward: str

        def apply(self, objective: Objective) -> None:
            objective.status = CLOSED
            objective.reflection = Reflection(
                self.outcome, self.achieved, self.why, tuple(self.causes), self.carry_forward
            )

    class CarriedForward(LedgerAggregate.Event):
        """Carried into a later cycle as a new objective (the original stays as it was)."""

        objective_id: UUID
        cycle_id: UUID

        def apply(self, objective: Objective) -> None:
            objective.carried_to[self.cycle_id] = self.objective_id

    if TYPE_CHECKING:
        team_id: UUID
        cycle_id: UUID
        statement: str
        description: str
        owner: str
        commitment: str
        status: str
        choice_links: dict[UUID, UUID]
        """choice id → strategy id"""
        parents: dict[UUID, str]
        """parent objective or key result id → its kind"""
        reflection: Reflection | None
        key_result_ids: list[UUID]
        carried_from: CarriedFrom | None
        carried_to: dict[UUID, UUID]
        """cycle id → the objective this one was carried to there"""

    @staticmethod
    def id_for(team_id: UUID, cycle_id: UUID, key: str) -> UUID:
        """The id of the objective with natural ``key`` in a team's cycle."""
        return natural_id("objective", team_id, cycle_id, key)

    @classmethod
    def draft(
        cls,
        *,
        objective_id: UUID,
        team: Team,
        cycle: Cycle,
        statement: str,
        owner: str,
        commitment: str,
        description: str = "",
        meta: Meta,
    ) -> Objective:
        cycle.guard_change("draft an objective", meta)
        return cls._begin(
            cls.Drafted,
            objective_id,
            meta,
            team_id=team.id,
            cycle_id=cycle.id,
            statement=require_text(statement, "statement", max_length=500),
            description=optional_text(description, "description"),
            owner=require_text(owner, "owner", max_length=200),
            commitment=require_choice(commitment, COMMITMENTS, "commitment"),
            carried_from=None,
            carried_from_cycle_id=None,
            carry_forward="",
        )

    @property
    def is_live(self) -> bool:
        return self.status == LIVE

    def _require_live(self, act: str) -> None:
        require_status("objective", self.status, (LIVE,), act)

    def reword(self, statement: str, description: str | None, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("reword an objective", meta)
        self._require_live("reword the objective")
        statement = require_text(statement, "statement", max_length=500)
        description = (
            self.description if description is None else optional_text(description, "description")
        )
        if (statement, description) == (self.statement, self.description):
            raise RuleViolation("no_change", "the wording is unchanged", field="statement")
        self._record(self.Reworded, meta, statement=statement, description=description)

    def add_key_result(self, key_result: KeyResult, meta: Meta) -> None:
        """Count a newly defined key result as this objective's."""
        self._require_live("add a key result")
        if key_result.objective_id != self.id or key_result.id in self.key_result_ids:
            raise RuleViolation("wrong_objective", "not a new key result of this objective")
        self._record(self.KeyResultAdded, meta, key_result_id=key_result.id)

    def change_owner(self, owner: str, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("change an objective's owner", meta)
        self._require_live("change the owner")
        owner = require_text(owner, "owner", max_length=200)
        if owner == self.owner:
            raise RuleViolation("no_change", "that is already the owner", field="owner")
        self._record(self.OwnerChanged, meta, owner=owner)

    def link_to_choice(
        self, strategy: Strategy, choice_id: UUID, cycle: Cycle, meta: Meta
    ) -> None:
        cycle.guard_change("link an objective", meta)
        self._require_live("link the objective")
        strategy.live_choice(choice_id)
        if choice_id in self.choice_links:
            raise RuleViolation(
                "already_linked",
                "the objective already links to that choice",
                field="choice_id",
            )
        self._record(self.LinkedToChoice, meta, strategy_id=strategy.id, choice_id=choice_id)

    def unlink_from_choice(self, choice_id: UUID, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("unlink an objective", meta)
        self._require_live("unlink the objective")
        if choice_id not in self.choice_links:
            raise RuleViolation(
                "not_linked", "the objective does not link to that choice", field="choice_id"
            )
        self._record(self.UnlinkedFromChoice, meta, choice_id=choice_id)

    def align_to(
        self,
        parent: Objective | KeyResult,
        parent_ancestors: Collection[UUID],
        cycle: Cycle,
        meta: Meta,
    ) -> None:
        """Align under a parent objective or key result (several parents are allowed,
        in any cycle, so a team can align to a longer-running company objective).

        ``parent_ancestors`` holds every objective above the parent, to refuse loops.
        """
        cycle.guard_change("align an objective", meta)
        self._require_live("align the objective")
        parent_kind = "objective" if isinstance(parent, Objective) else "key_result"
        parent_id = parent.id
        if parent.status == DROPPED:
            raise RuleViolation(
                "parent_dropped",
                f"cannot align under a dropped {parent_kind.replace('_', ' ')}",
                field="parent_id",
            )
        if parent_id == self.id or self.id in parent_ancestors:
            raise RuleViolation(
                "alignment_loop",
                "an objective cannot align under itself or anything aligned under it",
                field="parent_id",
            )
        if parent_id in self.parents:
            raise RuleViolation(
                "already_aligned",
                "the objective is already aligned there",
                field="parent_id",
            )
        self._record(self.Aligned, meta, parent_kind=parent_kind, parent_id=parent_id)

    def unalign(self, parent_id: UUID, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("unalign an objective", meta)
        self._require_live("unalign the objective")
        if parent_id not in self.parents:
            raise RuleViolation(
                "not_aligned", "the objective is not aligned there", field="parent_id"
            )
        self._record(self.Unaligned, meta, parent_id=parent_id)

    def drop(self, cycle: Cycle, meta: Meta) -> None:
        cycle.guard_change("drop an objective", meta)
        self._require_live("drop the objective")
        meta.require_reason("dropping an objective")
        self._record(self.Dropped, meta)

    def reflect(
        self,
        *,
        outcome: str,
        achieved: str,
        why: str,
        causes: Sequence[str] = (),
        carry_forward: str = "",
        cycle: Cycle,
        meta: Meta,
    ) -> None:
        """Close the objective with its end-of-cycle reflection, in review.

        A second reflection revises the first and must say why. A closed cycle refuses
        both (``CLOSED_CYCLE_RULE``): reopen the cycle first.
        """
        cycle.guard_change("reflect on an objective", meta)
        cycle.guard_status("reflect on an objective", (REVIEW,))
        require_status("objective", self.status, (LIVE, CLOSED), "reflect on the objective")
        if self.status == CLOSED:
            meta.require_reason("revising a reflection")
        causes = check_causes(outcome, causes)
        self._record(
            self.Reflected,
            meta,
            outcome=outcome,
            achieved=require_text(achieved, "achieved"),
            why=require_text(why, "why"),
            causes=list(causes),
            carry_forward=optional_text(carry_forward, "carry_forward"),
        )

    def carry_forward(
        self, *, objective_id: UUID, source: Cycle, target: Cycle, meta: Meta
    ) -> Objective:
        """Carry the objective into a later cycle: a new objective there, drafted with a
        link back here and the reflection's "what carries forward", and an event here
        naming it. Allowed in review and in a closed cycle (``CARRY_FORWARD_RULE``)."""
        source.guard_carry_into(target)
        require_status("objective", self.status, (LIVE, CLOSED), "carry the objective forward")
        if target.id in self.carried_to:
            raise AlreadyExists("carried objective", self.carried_to[target.id])
        carried = Objective._begin(
            Objective.Drafted,
            objective_id,
            meta,
            team_id=self.team_id,
            cycle_id=target.id,
            statement=self.statement,
            description=self.description,
            owner=self.owner,
            commitment=self.commitment,
            carried_from=self.id,
            carried_from_cycle_id=self.cycle_id,
            carry_forward=self.reflection.carry_forward if self.reflection else "",
        )
        self._record(self.CarriedForward, meta, objective_id=carried.id, cycle_id=target.id)
        return carried
