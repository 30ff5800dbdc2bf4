"""What every event records besides its own fields (DESIGN §2).

``Meta`` is built once per command by the write path and handed to every aggregate
method the command calls, so all events of one command share actor, times,
correlation id and command id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Transcoding

from ledger.exceptions import ReasonRequired, RuleViolation


@dataclass(frozen=True)
class Meta:
    actor: str
    """The authenticated principal who did the act (never taken from a request body)."""
    recorded_at: datetime
    """When the ledger recorded the act; also the event's ``timestamp``."""
    effective_at: datetime
    """When the act is true in the world; equals ``recorded_at`` unless back-dated."""
    correlation_id: UUID
    """Shared by all events of one command."""
    command_id: str | None = None
    """The client's idempotency key, if it gave one."""
    reason: str | None = None
    decision_id: UUID | None = None
    """The review decision that caused the act, if any."""

    def __post_init__(self) -> None:
        for name in ("recorded_at", "effective_at"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise RuleViolation("naive_datetime", f"{name} must carry a time zone", field=name)
        if not self.actor.strip():
            raise RuleViolation("actor_required", "every act needs an actor", field="actor")
        if self.effective_at > self.recorded_at:
            raise RuleViolation(
                "effective_time_in_future",
                "an act cannot be effective after the time it is recorded",
                field="effective_at",
            )

    def require_reason(self, act: str) -> str:
        """Return the reason, refusing the act if none was given."""
        if self.reason is None or not self.reason.strip():
            raise ReasonRequired(act)
        return self.reason

    def require_reason_or_decision(self, act: str) -> None:
        if (self.reason is None or not self.reason.strip()) and self.decision_id is None:
            raise RuleViolation(
                "reason_or_decision_required",
                f"{act} needs a reason or the decision behind it",
                field="reason",
            )

    def effective(self, at: datetime) -> Meta:
        """The same act, effective at another instant (used by corrections)."""
        return replace(self, effective_at=at)


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


class MetaAsDict(Transcoding):
    type = Meta
    name = "okr_meta"

    def encode(self, obj: Meta) -> dict[str, Any]:
        return {
            "actor": obj.actor,
            "recorded_at": obj.recorded_at,
            "effective_at": obj.effective_at,
            "correlation_id": obj.correlation_id,
            "command_id": obj.command_id,
            "reason": obj.reason,
            "decision_id": obj.decision_id,
        }

    def decode(self, data: dict[str, Any]) -> Meta:
        return Meta(**data)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)
