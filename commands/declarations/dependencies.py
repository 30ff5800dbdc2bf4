"""Dependencies between teams: declared, acknowledged, escalated, resolved."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from marshmallow import ValidationError

from commands.declarations.base import Command, check, choice, command, text
from ledger.dependency import REF_KINDS


@command("POST /dependencies", creates="dependency_id")
class DeclareDependency(Command):
    """Declare that an objective or key result depends on another team."""

    from_kind: str = choice(REF_KINDS)
    from_id: UUID
    on_team_id: UUID
    description: str = text(2000)
    on_kind: str | None = choice(REF_KINDS, default=None)
    on_id: UUID | None = None
    needed_by: date | None = None

    @check
    def both_or_neither(data: dict[str, Any]) -> None:
        if (data.get("on_kind") is None) != (data.get("on_id") is None):
            raise ValidationError("name both on_kind and on_id, or neither", field_name="on_id")


@command("POST /dependencies/{dependency_id}/acknowledge")
class AcknowledgeDependency(Command):
    """Acknowledge a dependency on one's team."""

    dependency_id: UUID
    note: str = text(4000, default="")


@command("POST /dependencies/{dependency_id}/escalate")
class EscalateDependency(Command):
    """Escalate a dependency (a reason is required)."""

    dependency_id: UUID


@command("POST /dependencies/{dependency_id}/resolve")
class ResolveDependency(Command):
    """Resolve a dependency."""

    dependency_id: UUID
    note: str = text(4000, default="")
