"""The message format of the events topic (documented in docs/events-topic.md).

Every stored event becomes one message, keyed by its aggregate id (so one aggregate's
events stay in order in one partition), with a versioned JSON envelope:

    {"schema": "okr-ledger.event/2", "event_type": "KeyResult.CheckedIn",
     "aggregate_type": "KeyResult", "aggregate_id": "...", "version": 6,
     "position": 201, "actor": "...", "recorded_at": "...", "effective_at": "...",
     "reason": null, "decision_id": null, "correlation_id": "...", "command_id": null,
     "leaf_index": 200, "leaf_hash": "...", "payload": {...}}

Delivery is at least once: a consumer drops a message whose (aggregate_id, version) it
has already seen (equivalently, whose position it has passed in that partition).

The publisher also writes *watermarks*, control messages carrying the log position
it has published through, to every partition; they have the header
``okr-kind: watermark`` and no aggregate, and consumers that want only events skip them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from eventlog.record import Record
from eventlog.rendering import event_json
from eventlog.vocabulary import micros

EVENT_SCHEMA = "okr-ledger.event/2"
EVENT_SCHEMAS = frozenset({"okr-ledger.event/1", EVENT_SCHEMA})
"""what ``parse`` reads: version 1 (which named a hash-chain link) is still on the topic"""
WATERMARK_SCHEMA = "okr-ledger.watermark/1"
Headers = list[tuple[str, bytes]]


EVENT_KIND = ("okr-kind", b"event")
EVENT_SCHEMA_HEADER = ("okr-schema", EVENT_SCHEMA.encode())


def event_message(
    record: Record, leaf_index: int | None, leaf_hash: str | None
) -> tuple[bytes, bytes, Headers]:
    """(key, value, headers) of the message for one stored event, naming its leaf in
    the transparency log (index and hex hash)."""
    event = event_json(record)
    payload = event.pop("data")
    value = {
        "schema": EVENT_SCHEMA,
        **event,
        "leaf_index": leaf_index,
        "leaf_hash": leaf_hash,
        "payload": payload,
    }
    key = record.aggregate_id.encode()
    headers = [
        EVENT_KIND,
        EVENT_SCHEMA_HEADER,
        ("okr-event-type", record.event_type.encode()),
        ("okr-aggregate-type", record.aggregate_type.encode()),
        ("okr-aggregate-id", key),
        ("okr-version", b"%d" % record.version),
        ("okr-position", b"%d" % record.position),
        *([("okr-leaf-index", b"%d" % leaf_index)] if leaf_index is not None else []),
        ("okr-correlation-id", record.correlation_id.encode()),
    ]
    return key, orjson.dumps(value), headers


def watermark_message(position: int) -> tuple[bytes, Headers]:
    value = orjson.dumps({"schema": WATERMARK_SCHEMA, "position": position})
    return value, [("okr-kind", b"watermark"), ("okr-schema", WATERMARK_SCHEMA.encode())]


@dataclass(frozen=True)
class Watermark:
    position: int


class MalformedMessage(ValueError):
    pass


def integer(value: Any) -> int:
    if type(value) is not int:
        raise MalformedMessage(f"{value!r} is not an integer")
    return value


def parse(value: bytes) -> Record | Watermark:
    """A message of the events topic back as a record (or a watermark)."""
    try:
        body: dict[str, Any] = orjson.loads(value)
        if not isinstance(body, dict):
            raise MalformedMessage("the message is not a JSON object")
        schema = body.get("schema")
        if schema == WATERMARK_SCHEMA:
            return Watermark(integer(body["position"]))
        if schema not in EVENT_SCHEMAS:
            raise MalformedMessage(f"unknown schema {schema!r}")
        return Record(
            position=integer(body["position"]),
            aggregate_type=body["aggregate_type"],
            event_type=body["event_type"],
            aggregate_id=body["aggregate_id"],
            version=integer(body["version"]),
            recorded_at=micros(body["recorded_at"]),
            effective_at=micros(body["effective_at"]),
            actor=body["actor"],
            reason=body["reason"],
            decision_id=body["decision_id"],
            correlation_id=body["correlation_id"],
            command_id=body["command_id"],
            data=body["payload"],
        )
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError) as error:
        if isinstance(error, MalformedMessage):
            raise
        raise MalformedMessage(str(error)) from None
