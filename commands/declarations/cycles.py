"""Cycles: opened in planning, then active, in review, closed (and reopened)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from marshmallow import ValidationError

from commands.declarations.base import Command, check, command, integer, text
from ledger.cycle import CLOSED_CYCLE_RULE


@command("POST /cycles", creates="cycle_id")
class OpenCycle(Command):
    """Open a cycle in planning."""

    key: str = text(80)
    name: str = text(200)
    starts_on: date
    ends_on: date
    cadence_days: int = integer(1, 31, default=7)

    @check
    def ends_after_it_starts(data: dict[str, Any]) -> None:
        if {"starts_on", "ends_on"} <= data.keys() and data["ends_on"] <= data["starts_on"]:
            raise ValidationError("a cycle must end after it starts", field_name="ends_on")


@command("POST /cycles/{cycle_id}/start")
class StartCycle(Command):
    """Start a cycle (planning to active)."""

    cycle_id: UUID


@command("POST /cycles/{cycle_id}/review")
class BeginCycleReview(Command):
    """Begin a cycle's review (active to review)."""

    cycle_id: UUID


@command("POST /cycles/{cycle_id}/close", notes=(CLOSED_CYCLE_RULE,))
class CloseCycle(Command):
    """Close a cycle (review to closed); it becomes read-only."""

    cycle_id: UUID


@command("POST /cycles/{cycle_id}/reopen", notes=(CLOSED_CYCLE_RULE,))
class ReopenCycle(Command):
    """Reopen a closed cycle for review (a reason is required)."""

    cycle_id: UUID
