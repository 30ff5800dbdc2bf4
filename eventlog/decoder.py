"""Stored events decoded into records, through the ledger's own transcoding.

The decoder is built from the transcoder the ``Ledger`` configures (with every
transcoding it registers: UUIDs, decimals, dates, datetimes, the event metadata), its
cipher and compressor, and the event classes the stored topics name (so upcasters run
as they do for the aggregates). It does not build domain objects: the JSON is parsed
with orjson and each tagged value goes straight to its read-side text, through a fast
path for the library's and the ledger's own transcodings whose encoding it knows, and
through the transcoding's own ``decode`` for any other. A tag no transcoding of the
ledger's claims is an error, as it is for the library's mapper.

Upcasters (``upcast_vN_vM``) run on these plain values, so they must only add, drop or
rename fields, or set constants (as every upcaster of the ledger does).
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from eventsourcing.utils import resolve_topic

from eventlog.record import Record
from eventlog.vocabulary import decimal_text, micros_of, plain, time_text
from ledger.meta import DateAsISO, Meta

Reader = Callable[[Any], Any]
CONTAINERS = (dict, list)
ENVELOPE = frozenset({"timestamp", "meta", "originator_topic", "class_version"})
"""what the library and the ledger store next to an event's own fields"""


def _canonical_uuid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def _same(text: str) -> str:
    return text


FAST: dict[type[Transcoding], Reader] = {
    UUIDAsHex: _canonical_uuid,
    DecimalAsStr: decimal_text,
    DatetimeAsISO: time_text,
    DateAsISO: _same,
}
"""transcodings whose encoded data turns into read-side text without decoding it"""


class Decoder:
    def __init__(
        self, transcoder: JSONTranscoder, *, cipher: Any = None, compressor: Any = None
    ) -> None:
        self.transcodings = dict(transcoder.names)
        self.cipher = cipher
        self.compressor = compressor
        self.readers: dict[str, Reader] = {
            name: FAST.get(type(t)) or self._generic(t) for name, t in self.transcodings.items()
        }
        self.meta = transcoder.types[Meta].name
        self.instant = transcoder.types[datetime]
        self._events: dict[str, tuple[str, str, type]] = {}

    @classmethod
    def of(cls, ledger: Any) -> Decoder:
        """The decoder of a ``Ledger``'s stored events (one per ledger)."""
        found = _DECODERS.get(ledger)
        if found is None:
            mapper = ledger.mapper
            found = cls(mapper.transcoder, cipher=mapper.cipher, compressor=mapper.compressor)
            _DECODERS[ledger] = found
        return found

    # -- values ----------------------------------------------------------------------

    def _generic(self, transcoding: Transcoding) -> Reader:
        return lambda data: plain(transcoding.decode(self.python(data)))

    def python(self, value: Any) -> Any:
        """Encoded data as the library's transcoder decodes it (inner values first)."""
        kind = type(value)
        if kind is list:
            return [self.python(v) for v in value]
        if kind is not dict:
            return value
        decoded = {k: self.python(v) for k, v in value.items()}
        tag = self._tag(decoded)
        return decoded if tag is None else self._transcoding(tag).decode(decoded["_data_"])

    def value(self, value: Any) -> Any:
        """Encoded data as read-side values."""
        kind = type(value)
        if kind is dict:
            if len(value) == 2 and "_data_" in value:
                tag = value.get("_type_")
                if tag is not None:
                    reader = self.readers.get(tag) or self._unknown(tag)
                    return reader(value["_data_"])
            return {k: v if type(v) not in CONTAINERS else self.value(v) for k, v in value.items()}
        if kind is list:
            return [v if type(v) not in CONTAINERS else self.value(v) for v in value]
        return value

    def _unknown(self, tag: str) -> Reader:
        self._transcoding(tag)  # raises: the ledger registers no such transcoding
        raise AssertionError(tag)

    @staticmethod
    def _tag(value: dict[str, Any]) -> Any:
        if len(value) == 2 and "_data_" in value:
            return value.get("_type_")
        return None

    def _transcoding(self, tag: str) -> Transcoding:
        try:
            return self.transcodings[tag]
        except KeyError:
            raise TranscodingNotRegisteredError(
                f"data serialised with name {tag!r} has no transcoding in the ledger"
            ) from None

    def _micros(self, tagged: dict[str, Any]) -> int:
        return micros_of(self.instant.decode(tagged["_data_"]))

    def _event(self, topic: str) -> tuple[str, str, type, int]:
        """(event type, aggregate type, event class, its class version) of a topic."""
        found = self._events.get(topic)
        if found is None:
            cls = resolve_topic(topic)
            event_type = cls.__qualname__
            found = (
                event_type,
                event_type.partition(".")[0],
                cls,
                getattr(cls, "class_version", 1),
            )
            self._events[topic] = found
        return found

    # -- events ----------------------------------------------------------------------

    def record(
        self, position: int, aggregate_id: Any, version: int, topic: str, state: bytes
    ) -> Record:
        if self.cipher is not None:
            state = self.cipher.decrypt(state)
        if self.compressor is not None:
            state = self.compressor.decompress(state)
        body = orjson.loads(state)
        event_type, aggregate_type, cls, class_version = self._events.get(topic) or self._event(
            topic
        )
        tagged_meta = body["meta"]
        if tagged_meta.get("_type_") != self.meta:
            raise TranscodingNotRegisteredError(f"the event at {position} carries no metadata")
        meta = tagged_meta["_data_"]
        stamp = body["timestamp"]
        recorded = micros_of(self.instant.decode(stamp["_data_"]))
        effective = meta["effective_at"]
        decision = meta.get("decision_id")
        value = self.value
        data = {
            k: v if type(v) not in CONTAINERS else value(v)
            for k, v in body.items()
            if k not in ENVELOPE
        }
        stored_version = body.get("class_version", 1)
        if stored_version < class_version:
            for number in range(stored_version, class_version):
                getattr(cls, f"upcast_v{number}_v{number + 1}")(data)
        return Record(
            position,
            aggregate_type,
            event_type,
            aggregate_id if type(aggregate_id) is str else str(aggregate_id),
            version,
            recorded,
            recorded if effective == stamp else self._micros(effective),
            meta["actor"],
            meta.get("reason"),
            None if decision is None else value(decision),
            value(meta["correlation_id"]),
            meta.get("command_id"),
            data,
        )

    def page(self, rows: Iterable[Any]) -> list[Record]:
        """Records from (position, aggregate id, version, topic, state) rows."""
        with paused_gc():
            return [self.record(*row) for row in rows]

    def notifications(self, notifications: Iterable[Any]) -> list[Record]:
        """Records from the library's notifications."""
        with paused_gc():
            return [
                self.record(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                for n in notifications
            ]


_DECODERS: weakref.WeakKeyDictionary[Any, Decoder] = weakref.WeakKeyDictionary()


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
