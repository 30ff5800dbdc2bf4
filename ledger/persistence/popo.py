"""The in-memory store, with the hash chain. For unit tests and experiments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from ledger.chain import ChainLink, RawEvent, extend


def raw(position: int, s: StoredEvent) -> RawEvent:
    oid = s.originator_id
    oid_text = oid if isinstance(oid, str) else oid.hex
    return RawEvent(
        position,
        oid_text.encode(),
        s.originator_version,
        s.topic.encode("utf-8", "surrogateescape"),  # bytes as stored, even if not UTF-8
        bytes(s.state),
    )


class ChainedPOPOApplicationRecorder(POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[int, ChainLink] = {}
        """position → link; tests may tamper with it (and with ``_stored_events``)"""

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._update_table(stored_events, **kwargs)
        assert ids is not None  # the POPO recorder always returns positions
        new = [raw(p, s) for p, s in zip(ids, stored_events, strict=True)]
        for link in extend(self.chain_head(), new):
            self.links[link.position] = link
        return ids

    def read_page(self, after: int, limit: int, stop: int) -> list[tuple[Any, ...]]:
        """(position, aggregate id text, version, topic, state) of the stored events
        after ``after``, up to ``stop``: the fast path for read models."""
        return [
            (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
            for n in self.select_notifications(after, limit, stop, inclusive_of_start=False)
        ]

    def select_raw_events(self, after: int, limit: int) -> list[RawEvent]:
        with self._database_lock:
            rows = self._stored_events[after : after + limit]
            return [raw(after + i + 1, s) for i, s in enumerate(rows) if s is not None]

    def select_links(self, after: int, limit: int) -> list[ChainLink]:
        with self._database_lock:
            positions = sorted(p for p in self.links if p > after)[:limit]
            return [self.links[p] for p in positions]

    def select_events_after(self, after: Sequence[tuple[UUID, int]]) -> list[StoredEvent]:
        """Events of several aggregates, each after a version, in one call."""
        with self._database_lock:
            found = []
            for ident, version in after:
                index = self._stored_events_index.get(str(ident), {})
                found += [self._stored_events[i] for v, i in sorted(index.items()) if v > version]
            return found

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        with self._database_lock:
            index = self._stored_events_index.get(str(originator_id), {})
            return {version: i + 1 for version, i in index.items()}

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self._database_lock:
            index = self._stored_events_index.get(str(originator_id), {}).get(version)
            return None if index is None else index + 1

    def chain_head(self) -> ChainLink | None:
        with self._database_lock:
            return self.links[max(self.links)] if self.links else None


class ChainedPOPOFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return ChainedPOPOApplicationRecorder()
