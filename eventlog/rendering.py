"""The one JSON rendering of a stored event. The audit rows, an aggregate's history,
the transparency log's entries and the events topic's envelope all start from it, and
differ only in what they add (a leaf, a scope) or leave out."""

from __future__ import annotations

from typing import Any

from eventlog.record import Record
from eventlog.vocabulary import time_text

FIELDS = (
    "position", "event_type", "aggregate_type", "aggregate_id", "version", "recorded_at",
    "effective_at", "actor", "reason", "decision_id", "correlation_id", "command_id", "data",
)  # fmt: skip
LINKS = ("reason", "correlation_id", "command_id", "data")
"""what links acts together or says why: for auditors and admins only, where it matters"""


def event_json(record: Record) -> dict[str, Any]:
    """An event as JSON: ids as text, instants as canonical UTC text, its own fields
    under ``data``."""
    return {
        "position": record.position,
        "event_type": record.event_type,
        "aggregate_type": record.aggregate_type,
        "aggregate_id": record.aggregate_id,
        "version": record.version,
        "recorded_at": time_text(record.recorded_at),
        "effective_at": time_text(record.effective_at),
        "actor": record.actor,
        "reason": record.reason,
        "decision_id": record.decision_id,
        "correlation_id": record.correlation_id,
        "command_id": record.command_id,
        "data": record.data,
    }
