"""What a recorder stores for the transparency log, and the one way a leaf is rebuilt
from the bytes an event is stored as.

Four append-only tables sit beside the events (the recorders in
``ledger/persistence/`` create them, with triggers that refuse UPDATE, DELETE and
TRUNCATE):

- leaves ``(leaf_index, position, leaf_hash)``: one per stored event, written in the
  same transaction as the event, indexes 0, 1, 2, ... in append order without gaps;
- nodes ``(level, node_index, hash)``: the complete subtrees (level >= 1) of the RFC
  9162 tree over the leaf hashes, built afterwards by the checkpointer;
- checkpoints ``(size, root_hash, note, issued_at)``: every signed checkpoint issued,
  one per tree size;
- cosignatures ``(witness, size, line)``: the C2SP cosignature lines the log's witnesses
  returned, one per witness key (``<name>+<key id>``) and checkpoint size, each checked
  with the witness's key before it is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.tlog.leaf import encode_leaf
from ledger.tlog.merkle import leaf_hash

HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class RawEvent:
    """A stored event exactly as the database holds it (text columns as bytes)."""

    position: int
    originator_id: bytes
    """the id as stored: SQLite's hex text, or PostgreSQL's uuid as 32 hex digits"""
    originator_version: int
    topic: bytes
    state: bytes


@dataclass(frozen=True)
class Leaf:
    index: int
    position: int
    hash: bytes


@dataclass(frozen=True)
class CheckpointRow:
    size: int
    root_hash: bytes
    note: str
    issued_at: datetime


@dataclass(frozen=True)
class CosignatureRow:
    size: int
    witness: str
    """the witness's key as ``<name>+<8 hex key id>``"""
    line: str
    """the cosignature line, ending in a newline"""


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


def stored_leaf(event: StoredEvent, position: int) -> bytes:
    """The leaf of an event being appended (the recorders' write path)."""
    oid = event.originator_id
    ident = oid if isinstance(oid, UUID) else UUID(hex=str(oid))
    return encode_leaf(position, ident, event.originator_version, event.topic, bytes(event.state))


def rebuilt_leaf(event: RawEvent) -> bytes | None:
    """The leaf of a stored event, rebuilt from its stored bytes; ``None`` when those
    bytes cannot be the ones the ledger wrote (an id that is not 32 lowercase hex
    digits, a topic that is not UTF-8, a negative version...), which the verifier
    reports as a mismatch. Nothing is normalised."""
    oid = event.originator_id
    if len(oid) != 32 or not HEX.issuperset(oid.decode("latin-1")):
        return None
    try:
        return encode_leaf(
            event.position,
            UUID(hex=oid.decode()),
            event.originator_version,
            event.topic.decode("utf-8"),
            event.state,
        )
    except (ValueError, OverflowError, UnicodeError):
        return None


def hash_of_stored(event: StoredEvent, position: int) -> bytes:
    return leaf_hash(stored_leaf(event, position))


class LogStore(Protocol):
    """What a recorder offers the transparency log (and the read side)."""

    def select_raw_events(self, after: int, limit: int) -> Sequence[RawEvent]: ...

    def select_leaves(self, start: int, limit: int) -> Sequence[Leaf]:
        """Leaves with ``leaf_index >= start``, in index order."""
        ...

    def select_leaves_by_position(self, after: int, limit: int) -> Sequence[Leaf]:
        """Leaves with ``position > after``, in position order."""
        ...

    def leaf_count(self) -> int: ...

    def leaves_at(self, indexes: Sequence[int]) -> dict[int, Leaf]: ...

    def leaves_of(self, positions: Sequence[int]) -> dict[int, Leaf]:
        """position -> leaf, for the positions that have one."""
        ...

    def select_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Hashes of the given complete subtrees; level 0 reads the leaf hashes."""
        ...

    def nodes_frontier(self) -> int:
        """How many leaves the stored level-1 nodes cover (the tree is built to here;
        a trailing odd leaf needs no node)."""
        ...

    def insert_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Store nodes; one already stored (a concurrent builder) is left as it is."""
        ...

    def insert_checkpoint(self, row: CheckpointRow) -> bool:
        """Keep a signed checkpoint; False if one of that size was already kept."""
        ...

    def select_checkpoints(self) -> Sequence[CheckpointRow]:
        """Every checkpoint kept, by ascending size."""
        ...

    def select_checkpoint(self, size: int | None) -> CheckpointRow | None:
        """The checkpoint of that size (``None``: the latest), if any."""
        ...

    def add_cosignature(self, size: int, witness: str, line: str) -> bool:
        """Keep a witness's cosignature of the checkpoint of ``size``; False if one by
        that witness key for that size was already kept."""
        ...

    def cosigned_size(self, witness: str) -> int:
        """The largest checkpoint size that witness key cosigned (0 if none)."""
        ...

    def select_cosignatures(self, sizes: Sequence[int] | None = None) -> Sequence[CosignatureRow]:
        """The cosignatures of those checkpoint sizes (None: all), by size then witness."""
        ...

    def backfill_leaves(self) -> int:
        """Give every stored event a leaf when the leaves table is empty (a ledger
        written before the tree existed); the number of leaves written."""
        ...

    def position_of(self, originator_id: UUID, version: int) -> int | None: ...

    def positions_of(self, originator_id: UUID) -> dict[int, int]: ...

    def read_page(self, after: int, limit: int, stop: int) -> list[tuple[Any, ...]]: ...

    def select_events_after(self, after: Sequence[tuple[UUID, int]]) -> Sequence[Any]: ...
