"""Stored events decoded for read models: plain values, times as UTC microseconds.

Read models do not need domain objects, so this skips the library's mapper: one
``json.loads`` with a small hook turns the ledger's tagged values (UUIDs, decimals,
dates, datetimes, the event metadata) into plain strings and dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(iso: str) -> int:
    """UTC microseconds since the epoch for an ISO 8601 time with a zone."""
    moment = datetime.fromisoformat(iso)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def iso(value: int | None) -> str | None:
    """The ISO 8601 UTC text of a microsecond time."""
    if value is None:
        return None
    seconds, fraction = divmod(value, 1_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=fraction)
    return moment.isoformat()


def _uuid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


_PLAIN = {
    "uuid_hex": _uuid,
    "decimal_str": str,
    "datetime_iso": str,
    "date_iso": str,
    "okr_meta": lambda data: data,
}


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        convert = _PLAIN.get(obj["_type_"])
        if convert is not None:
            return convert(obj["_data_"])
    return obj


_decode = json.JSONDecoder(object_hook=_hook).decode
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
    body = _decode(state.decode("utf-8"))
    meta = body["meta"]
    event_type = topic.rpartition(":")[2]
    recorded = micros(body["timestamp"])
    effective = meta["effective_at"]
    return Record(
        position=position,
        aggregate_type=event_type.partition(".")[0],
        event_type=event_type,
        aggregate_id=str(aggregate_id),
        version=version,
        recorded_at=recorded,
        effective_at=recorded if effective == body["timestamp"] else micros(effective),
        actor=meta["actor"],
        reason=meta.get("reason"),
        decision_id=meta.get("decision_id"),
        correlation_id=meta["correlation_id"],
        command_id=meta.get("command_id"),
        data={k: v for k, v in body.items() if k not in ENVELOPE},
    )


def decode_notifications(notifications: Any) -> list[Record]:
    return [
        decode(n.id, n.originator_id, n.originator_version, n.topic, n.state)
        for n in notifications
    ]
