"""One stored event as the read side sees it: plain values in the API's vocabulary
(ids and decimals as canonical text, dates as ISO text), instants as UTC microseconds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Record:
    position: int
    """its place in the notification log"""
    aggregate_type: str
    event_type: str
    """qualified, e.g. ``KeyResult.CheckedIn``"""
    aggregate_id: str
    version: int
    recorded_at: int
    effective_at: int
    actor: str
    reason: str | None
    decision_id: str | None
    correlation_id: str
    command_id: str | None
    data: dict[str, Any]
    """the event's own fields"""

    @property
    def name(self) -> str:
        """The event's own name, e.g. ``CheckedIn``."""
        return self.event_type.rpartition(".")[2]
