"""Decisions of review forums, and the priorities they reorder."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import ValidationError

from commands.declarations.base import Command, check, choice, command, many, text
from ledger.decision import DECISION_TYPES


@command("POST /decisions", creates="decision_id")
class RecordDecision(Command):
    """Record what a review forum decided."""

    forum: str = text(200)
    decided_by: tuple[str, ...] = many(text(200), min_items=1, max_items=30)
    decision_type: str = choice(DECISION_TYPES)
    summary: str = text(500)
    rationale: str = text(4000)
    cycle_id: UUID | None = None
    affects: tuple[UUID, ...] = many(
        max_items=100,
        default=(),
        doc="ids of what the decision affects (objectives, key results, initiatives, teams...)",
    )
    strategy_id: UUID | None = None
    choice_ids: tuple[UUID, ...] = many(
        max_items=20, default=(), doc="strategic choices (of strategy_id) the decision serves"
    )

    @check
    def choices_name_their_strategy(data: dict[str, Any]) -> None:
        if data.get("choice_ids") and data.get("strategy_id") is None:
            raise ValidationError("name the strategy of the choices", field_name="strategy_id")


@command("PUT /teams/{team_id}/cycles/{cycle_id}/priorities")
class Reprioritise(Command):
    """Set a new full ranking of a team's objectives in a cycle (a rationale is required)."""

    team_id: UUID
    cycle_id: UUID
    order: tuple[UUID, ...] = many(min_items=1, max_items=50)
