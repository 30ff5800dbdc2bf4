"""Stored events decoded for read models: plain values, times as UTC microseconds.

Read models do not need domain objects, so this skips the library's mapper: the JSON
the ledger wrote is parsed with orjson and its tagged values (UUIDs, decimals, dates,
datetimes, the event metadata) become plain strings and dicts.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from projections.vocabulary import EPOCH, decimal_text


def micros_of(moment: datetime) -> int:
    """UTC microseconds since the epoch for a zone-aware datetime."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros(iso: str) -> int:
    """UTC microseconds since the epoch for an ISO 8601 time with a zone."""
    return micros_of(datetime.fromisoformat(iso))


def moment(value: int) -> datetime:
    """The zone-aware datetime of UTC microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=value)


def _uuid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def plain(value: Any) -> Any:
    """The ledger's tagged values (``{"_type_": ..., "_data_": ...}``) as plain ones:
    UUIDs as canonical text, decimals as their canonical text (``decimal_text``), dates
    and datetimes as their text, the event metadata as a dict."""
    kind = type(value)
    if kind is dict:
        tag = value.get("_type_")
        if tag is not None and len(value) == 2 and "_data_" in value:
            data = value["_data_"]
            if tag == "uuid_hex":
                return _uuid(data)
            if tag == "decimal_str":
                return decimal_text(data)
            if tag == "okr_meta":
                return {k: plain(v) for k, v in data.items()}
            return data
        return {k: plain(v) for k, v in value.items()}
    if kind is list:
        return [plain(v) for v in value]
    return value


ENVELOPE = {"timestamp", "meta", "originator_topic", "class_version"}


@dataclass(slots=True)
class Record:
    position: int
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

    @property
    def name(self) -> str:
        """The event's own name, e.g. ``CheckedIn``."""
        return self.event_type.rpartition(".")[2]


def decode(position: int, aggregate_id: Any, version: int, topic: str, state: bytes) -> Record:
    body = orjson.loads(state)
    meta = plain(body["meta"])
    event_type = topic.rpartition(":")[2]
    timestamp = body["timestamp"]["_data_"]
    recorded = micros(timestamp)
    effective = meta["effective_at"]
    return Record(
        position=position,
        aggregate_type=event_type.partition(".")[0],
        event_type=event_type,
        aggregate_id=aggregate_id if type(aggregate_id) is str else str(aggregate_id),
        version=version,
        recorded_at=recorded,
        effective_at=recorded if effective == timestamp else micros(effective),
        actor=meta["actor"],
        reason=meta.get("reason"),
        decision_id=meta.get("decision_id"),
        correlation_id=meta["correlation_id"],
        command_id=meta.get("command_id"),
        data={k: plain(v) for k, v in body.items() if k not in ENVELOPE},
    )


def decode_page(rows: Any) -> list[Record]:
    """Records from (position, aggregate id text, version, topic, state) rows."""
    with paused_gc():
        return [decode(*row) for row in rows]


def decode_notifications(notifications: Any) -> list[Record]:
    with paused_gc():
        return [
            decode(n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in notifications
        ]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects at once
    (decoded events have no reference cycles); it costs more than the decoding."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
