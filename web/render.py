"""Aggregates and events as JSON, in the API's vocabulary (``projections.vocabulary``):
ids, decimals and times as canonical text; counts and versions as integers."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.base import LedgerAggregate
from ledger.key_result import KeyResult
from ledger.scoring import score_key_result
from projections.vocabulary import decimal_text, time_text

BASE_FIELDS = {"_id", "_version", "_created_on", "_modified_on", "_pending_events"}


def plain(value: Any) -> Any:
    """A JSON-ready copy of a value of the domain."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, (UUID, date)):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return str(value)


def aggregate_json(aggregate: LedgerAggregate, *, ends_on: date | None = None) -> dict[str, Any]:
    """``ends_on``: the last day of a key result's cycle, for its score."""
    state = {
        name: plain(value) for name, value in vars(aggregate).items() if name not in BASE_FIELDS
    }
    if isinstance(aggregate, KeyResult):
        state["score"] = plain(score_key_result(aggregate, ends_on=ends_on))
        state["check_ins"] = list(state["check_ins"].values())  # made plain above
    return {
        "id": str(aggregate.id),
        "type": type(aggregate).__name__,
        "version": aggregate.version,
        "created_on": time_text(aggregate.created_on),
        "modified_on": time_text(aggregate.modified_on),
        "state": state,
    }


EVENT_BASE = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


def event_json(event: LedgerAggregate.Event, position: int | None) -> dict[str, Any]:
    meta = event.meta
    return {
        "position": position,
        "type": type(event).__qualname__,
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "recorded_at": time_text(event.timestamp),
        "effective_at": time_text(meta.effective_at),
        "actor": meta.actor,
        "reason": meta.reason,
        "decision_id": plain(meta.decision_id),
        "correlation_id": str(meta.correlation_id),
        "command_id": meta.command_id,
        "data": {k: plain(v) for k, v in vars(event).items() if k not in EVENT_BASE},
    }
