"""Objectives: drafted for a team in a cycle, linked, aligned, reflected on, carried."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import ValidationError

from commands.declarations.base import (
    NATURAL_KEY,
    Command,
    arg,
    check,
    choice,
    command,
    many,
    text,
)
from ledger.cycle import CARRY_FORWARD_RULE, CLOSED_CYCLE_RULE
from ledger.objective import COMMITMENTS, MISS_CAUSES, OUTCOMES, PARENT_KINDS


@command("POST /objectives", creates="objective_id")
class DraftObjective(Command):
    """Draft an objective for a team in a cycle; it joins the bottom of the team's priorities."""

    team_id: UUID
    cycle_id: UUID
    statement: str = text(500)
    owner: str = text(200)
    commitment: str = choice(COMMITMENTS, default="committed")
    description: str = text(4000, default="")
    key: str | None = text(80, default=None, doc=NATURAL_KEY)


@command("PUT /objectives/{objective_id}/statement")
class RewordObjective(Command):
    """Reword an objective."""

    objective_id: UUID
    statement: str = text(500)
    description: str | None = text(4000, default=None, blank=True)


@command("PUT /objectives/{objective_id}/owner")
class ChangeObjectiveOwner(Command):
    """Give an objective another owner."""

    objective_id: UUID
    owner: str = text(200)


@command("POST /objectives/{objective_id}/choice-links")
class LinkObjectiveToChoice(Command):
    """Link an objective to a strategic choice."""

    objective_id: UUID
    strategy_id: UUID
    choice_id: UUID


@command("DELETE /objectives/{objective_id}/choice-links/{choice_id}")
class UnlinkObjectiveFromChoice(Command):
    """Unlink an objective from a strategic choice."""

    objective_id: UUID
    choice_id: UUID


@command("POST /objectives/{objective_id}/alignments")
class AlignObjective(Command):
    """Align an objective under a parent objective or key result."""

    objective_id: UUID
    parent_kind: str = choice(PARENT_KINDS)
    parent_id: UUID


@command("DELETE /objectives/{objective_id}/alignments/{parent_id}")
class UnalignObjective(Command):
    """Remove one of an objective's alignments."""

    objective_id: UUID
    parent_id: UUID


@command("POST /objectives/{objective_id}/drop")
class DropObjective(Command):
    """Drop an objective (a reason is required); it leaves the team's priorities."""

    objective_id: UUID


@command("POST /objectives/{objective_id}/reflection", notes=(CLOSED_CYCLE_RULE,))
class ReflectOnObjective(Command):
    """Close an objective with its end-of-cycle reflection."""

    objective_id: UUID
    outcome: str = choice(OUTCOMES)
    achieved: str = text(4000)
    why: str = text(4000)
    causes: tuple[str, ...] = many(choice(MISS_CAUSES), max_items=len(MISS_CAUSES), default=())
    carry_forward: str = text(4000, default="")

    @check
    def a_miss_names_its_cause(data: dict[str, Any]) -> None:
        if data.get("outcome") not in (None, "hit") and not data.get("causes"):
            raise ValidationError(
                "a missed or partly hit objective names at least one cause",
                field_name="causes",
            )


@command(
    "POST /objectives/{objective_id}/carry-forward",
    creates="objective_id",
    notes=(CLOSED_CYCLE_RULE, CARRY_FORWARD_RULE),
)
class CarryObjectiveForward(Command):
    """Carry an objective and its unfinished key results into a later cycle.

    From a cycle in review or closed (``ledger.cycle.CARRY_FORWARD_RULE``)."""

    objective_id: UUID
    cycle_id: UUID = arg(doc="the later cycle")
    key_result_ids: tuple[UUID, ...] | None = many(
        max_items=50,
        default=None,
        doc="the key results that go with it (default: every live one that "
        "has not met its aim and was not carried there already; [] for none)",
    )

    @check
    def each_key_result_once(data: dict[str, Any]) -> None:
        ids = data.get("key_result_ids") or []
        if len(set(ids)) != len(ids):
            raise ValidationError("names a key result twice", field_name="key_result_ids")


@command(
    "POST /key-results/{key_result_id}/carry-forward",
    creates="key_result_id",
    notes=(CLOSED_CYCLE_RULE, CARRY_FORWARD_RULE),
)
class CarryKeyResultForward(Command):
    """Carry a key result into a later cycle, under an objective of that cycle.

    By default under the objective its own objective was carried to there."""

    key_result_id: UUID
    cycle_id: UUID = arg(doc="the later cycle")
    objective_id: UUID | None = arg(
        None,
        doc="the objective of that cycle it goes under (default: the one "
        "its own objective was carried to there)",
    )
