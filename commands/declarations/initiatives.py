"""Initiatives: proposed, linked to key results, run, prioritised and resourced."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from marshmallow import ValidationError

from commands.declarations.base import (
    NATURAL_KEY,
    Command,
    check,
    choice,
    command,
    many,
    number,
    text,
)
from ledger.initiative import HEALTH, MOSCOW


@command("POST /initiatives", creates="initiative_id")
class ProposeInitiative(Command):
    """Propose an initiative, optionally linked to key results it should move."""

    team_id: UUID
    cycle_id: UUID
    title: str = text(300)
    owner: str = text(200)
    description: str = text(4000, default="")
    key_result_ids: tuple[UUID, ...] = many(max_items=20, default=())
    key: str | None = text(80, default=None, doc=NATURAL_KEY)


@command("POST /initiatives/{initiative_id}/links")
class LinkInitiative(Command):
    """Link an initiative to a key result."""

    initiative_id: UUID
    key_result_id: UUID


@command("DELETE /initiatives/{initiative_id}/links/{key_result_id}")
class UnlinkInitiative(Command):
    """Unlink an initiative from a key result."""

    initiative_id: UUID
    key_result_id: UUID


@command("POST /initiatives/{initiative_id}/start")
class StartInitiative(Command):
    """Start an initiative."""

    initiative_id: UUID


@command("PUT /initiatives/{initiative_id}/status")
class ChangeInitiativeStatus(Command):
    """Change a running initiative's health."""

    initiative_id: UUID
    health: str = choice(HEALTH)
    note: str = text(4000, default="")


@command("POST /initiatives/{initiative_id}/stop")
class StopInitiative(Command):
    """Stop an initiative (a reason is required)."""

    initiative_id: UUID


@command("POST /initiatives/{initiative_id}/complete")
class CompleteInitiative(Command):
    """Complete an initiative."""

    initiative_id: UUID
    note: str = text(4000, default="")


RICE = ("reach", "impact", "confidence", "effort")


@command("PUT /initiatives/{initiative_id}/priority")
class PrioritiseInitiative(Command):
    """Give an initiative a MoSCoW priority or a RICE score."""

    initiative_id: UUID
    method: str = choice(
        ("moscow", "rice"),
        doc="moscow (give moscow) or rice (give reach, impact, confidence and effort)",
    )
    moscow: str | None = choice(MOSCOW, default=None)
    reach: Decimal | None = number(default=None, minimum=0)
    impact: Decimal | None = number(default=None, enum=[0.25, 0.5, 1, 2, 3])
    confidence: Decimal | None = number(default=None, minimum=0, exclusive_minimum=True, maximum=1)
    effort: Decimal | None = number(default=None, minimum=0, exclusive_minimum=True)

    @check
    def fields_fit_the_method(data: dict[str, Any]) -> None:
        if data.get("method") == "moscow":
            if data.get("moscow") is None:
                raise ValidationError("a MoSCoW priority names moscow", field_name="moscow")
            extra = [f for f in RICE if data.get(f) is not None]
            if extra:
                raise ValidationError("not part of a MoSCoW priority", field_name=extra[0])
        elif data.get("method") == "rice":
            missing = [f for f in RICE if data.get(f) is None]
            if missing:
                raise ValidationError("a RICE score needs this", field_name=missing[0])
            if data.get("moscow") is not None:
                raise ValidationError("not part of a RICE score", field_name="moscow")


@command("PUT /initiatives/{initiative_id}/allocation")
class AllocateResources(Command):
    """Allocate people and money to an initiative; a change needs a reason or decision."""

    initiative_id: UUID
    people: Decimal = number(minimum=0, doc="full-time equivalents")
    money: Decimal = number(minimum=0)
    currency: str = text(length=3)
