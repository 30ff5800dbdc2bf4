"""Tamper evidence: a SHA-256 hash chain over every stored event, in append order.

Each stored event at log position ``p`` gets a link ``(p, prev_position, hash)``
written in the same transaction as the event, where

    hash = SHA-256(DOMAIN ‖ hash(prev) ‖ p ‖ prev_position ‖ id ‖ version ‖ topic ‖ state)

(fixed-width integers, length-prefixed byte strings, ``hash(prev)`` is 32 zero bytes
for the first event). The head link's hash is the root of the whole log: a
``Checkpoint`` (position + root) handed to a board lets anyone prove later that the
log still extends it, which catches even a tail rewritten with recomputed hashes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

DOMAIN = b"okr-ledger/chain/v1\x00"
GENESIS = bytes(32)


@dataclass(frozen=True)
class ChainLink:
    position: int
    prev_position: int | None
    hash: bytes


@dataclass(frozen=True)
class RawEvent:
    """A stored event exactly as the database holds it (text columns as bytes)."""

    position: int
    originator_id: bytes
    originator_version: int
    topic: bytes
    state: bytes


def digest(prev_hash: bytes, prev_position: int | None, event: RawEvent) -> bytes:
    h = hashlib.sha256(DOMAIN)
    h.update(prev_hash)
    h.update(struct.pack(">qq", event.position, prev_position or 0))
    h.update(struct.pack(">q", event.originator_version))
    for part in (event.originator_id, event.topic, event.state):
        h.update(struct.pack(">Q", len(part)))
        h.update(part)
    return h.digest()


def extend(tail: ChainLink | None, events: Sequence[RawEvent]) -> list[ChainLink]:
    """The links for ``events`` (in position order) appended after ``tail``."""
    links = []
    prev_hash = tail.hash if tail else GENESIS
    prev_position = tail.position if tail else None
    for event in events:
        link = ChainLink(event.position, prev_position, digest(prev_hash, prev_position, event))
        links.append(link)
        prev_hash, prev_position = link.hash, link.position
    return links


class ChainedRecorder(Protocol):
    """What a recorder offers so that its log can be verified."""

    def select_raw_events(self, after: int, limit: int) -> Sequence[RawEvent]: ...

    def select_links(self, after: int, limit: int) -> Sequence[ChainLink]: ...

    def chain_head(self) -> ChainLink | None: ...

    def position_of(self, originator_id: UUID, version: int) -> int | None: ...

    def positions_of(self, originator_id: UUID) -> dict[int, int]: ...

    def read_page(self, after: int, limit: int, stop: int) -> list[tuple[Any, ...]]: ...

    def select_events_after(self, after: Sequence[tuple[UUID, int]]) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Checkpoint:
    position: int
    root: str
    """hex SHA-256 of the link at ``position``"""

    def __str__(self) -> str:
        return f"{self.position}:{self.root}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        position, sep, root = text.strip().partition(":")
        if not sep or not position.isdigit() or len(root) != 64:
            raise ValueError("a checkpoint reads POSITION:ROOT (64 hex digits)")
        bytes.fromhex(root)
        return cls(int(position), root.lower())


@dataclass(frozen=True)
class Verification:
    checked: int
    head: ChainLink | None
    failed_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.failed_at is None

    @property
    def checkpoint(self) -> Checkpoint | None:
        return Checkpoint(self.head.position, self.head.hash.hex()) if self.head else None


def _merged(
    recorder: ChainedRecorder, batch: int
) -> Iterator[tuple[int, RawEvent | None, ChainLink | None]]:
    """Walk events and links together in position order, pairing them up."""
    events: list[RawEvent] = []
    links: list[ChainLink] = []
    event_after = link_after = 0
    events_done = links_done = False
    while True:
        if not events and not events_done:
            events = list(recorder.select_raw_events(event_after, batch))
            events_done = len(events) < batch
            if events:
                event_after = events[-1].position
        if not links and not links_done:
            links = list(recorder.select_links(link_after, batch))
            links_done = len(links) < batch
            if links:
                link_after = links[-1].position
        if not events and not links:
            return
        e_pos = events[0].position if events else None
        l_pos = links[0].position if links else None
        position = min(p for p in (e_pos, l_pos) if p is not None)
        event = events.pop(0) if e_pos == position else None
        link = links.pop(0) if l_pos == position else None
        yield position, event, link


def verify(
    recorder: ChainedRecorder, checkpoint: Checkpoint | None = None, *, batch: int = 1000
) -> Verification:
    """Recompute the chain; name the first position where stored data no longer matches."""
    prev: ChainLink | None = None
    checked = 0
    checkpoint_seen = False
    for position, event, link in _merged(recorder, batch):
        if link is None:
            return Verification(
                checked, prev, position, "event has no chain link (written outside the ledger)"
            )
        if event is None:
            return Verification(
                checked, prev, position, "event is missing (deleted) but its chain link remains"
            )
        expected_prev = prev.position if prev else None
        if link.prev_position != expected_prev:
            if link.prev_position is not None and (
                expected_prev is None or link.prev_position > expected_prev
            ):
                return Verification(
                    checked,
                    prev,
                    link.prev_position,
                    "event is missing (deleted together with its link)",
                )
            return Verification(checked, prev, position, "chain link was altered")
        try:
            recomputed = digest(prev.hash if prev else GENESIS, expected_prev, event)
        except (struct.error, OverflowError):
            recomputed = b""
        if recomputed != link.hash:
            return Verification(checked, prev, position, "stored data does not match its hash")
        if checkpoint and position == checkpoint.position:
            checkpoint_seen = True
            if link.hash.hex() != checkpoint.root:
                return Verification(
                    checked,
                    prev,
                    position,
                    "the log no longer extends the checkpoint (history up to it was rewritten)",
                )
        prev = link
        checked += 1
    if checkpoint and not checkpoint_seen:
        return Verification(
            checked,
            prev,
            checkpoint.position,
            "the checkpoint's position is not in the log (the log was truncated or rewritten)",
        )
    return Verification(checked, prev)
