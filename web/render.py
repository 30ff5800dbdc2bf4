"""Aggregates and events as JSON, in the API's vocabulary (``eventlog.vocabulary``):
ids, decimals and times as canonical text; counts and versions as integers."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventlog.record import Record
from eventlog.rendering import event_json
from eventlog.vocabulary import plain, time_text
from ledger.base import LedgerAggregate
from ledger.key_result import KeyResult
from ledger.scoring import score_key_result

BASE_FIELDS = {"_id", "_version", "_created_on", "_modified_on", "_pending_events"}


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


HISTORY = (
    "position", "type", "aggregate_id", "version", "recorded_at", "effective_at", "actor",
    "reason", "decision_id", "correlation_id", "command_id", "data",
)  # fmt: skip


def history_json(record: Record) -> dict[str, Any]:
    """One event of an aggregate's history: the event's one JSON rendering, its type
    under ``type`` (the aggregate is the one asked for)."""
    event = event_json(record)
    event["type"] = event["event_type"]
    return {name: event[name] for name in HISTORY}
