"""The in-memory store, with the transparency log's tables. For unit tests and
experiments (nothing is kept, so nothing here refuses a rewrite: tests forge freely)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from ledger.tlog.store import (
    CheckpointRow,
    CosignatureRow,
    Leaf,
    RawEvent,
    hash_of_stored,
    raw,
)

__all__ = ["ChainedPOPOApplicationRecorder", "ChainedPOPOFactory", "raw"]


class ChainedPOPOApplicationRecorder(POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.leaves: list[Leaf] = []
        """index -> leaf; tests may tamper with it (and with ``_stored_events``)"""
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.checkpoints: dict[int, CheckpointRow] = {}
        self.cosignatures: dict[tuple[str, int], CosignatureRow] = {}

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._update_table(stored_events, **kwargs)
        assert ids is not None  # the POPO recorder always returns positions
        first = self.leaves[-1].index + 1 if self.leaves else 0
        for i, (p, s) in enumerate(zip(ids, stored_events, strict=True)):
            self.leaves.append(Leaf(first + i, p, hash_of_stored(s, p)))
        return ids

    def backfill_leaves(self) -> int:
        return 0  # the in-memory store starts empty, with its leaves

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

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        with self._database_lock:
            return sorted((x for x in self.leaves if x.index >= start), key=_index)[:limit]

    def select_leaves_by_position(self, after: int, limit: int) -> list[Leaf]:
        with self._database_lock:
            return sorted((x for x in self.leaves if x.position > after), key=_pos)[:limit]

    def leaf_count(self) -> int:
        with self._database_lock:
            return self.leaves[-1].index + 1 if self.leaves else 0

    def leaves_at(self, indexes: Sequence[int]) -> dict[int, Leaf]:
        wanted = set(indexes)
        with self._database_lock:
            return {x.index: x for x in self.leaves if x.index in wanted}

    def leaves_of(self, positions: Sequence[int]) -> dict[int, Leaf]:
        wanted = set(positions)
        with self._database_lock:
            return {x.position: x for x in self.leaves if x.position in wanted}

    def select_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        leaves = self.leaves_at([i for level, i in keys if level == 0])
        with self._database_lock:
            found = {(0, i): leaf.hash for i, leaf in leaves.items()}
            found.update({k: self.nodes[k] for k in keys if k[0] > 0 and k in self.nodes})
            return found

    def nodes_frontier(self) -> int:
        with self._database_lock:
            last = max((i for level, i in self.nodes if level == 1), default=-1)
            return 2 * (last + 1)

    def insert_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        with self._database_lock:
            for level, index, value in nodes:
                self.nodes.setdefault((level, index), value)

    def insert_checkpoint(self, row: CheckpointRow) -> bool:
        with self._database_lock:
            if row.size in self.checkpoints:
                return False
            self.checkpoints[row.size] = row
            return True

    def select_checkpoints(self) -> list[CheckpointRow]:
        with self._database_lock:
            return [self.checkpoints[s] for s in sorted(self.checkpoints)]

    def select_checkpoint(self, size: int | None) -> CheckpointRow | None:
        with self._database_lock:
            if size is None:
                size = max(self.checkpoints, default=None)
            return self.checkpoints.get(size) if size is not None else None

    def add_cosignature(self, size: int, witness: str, line: str) -> bool:
        with self._database_lock:
            if (witness, size) in self.cosignatures:
                return False
            self.cosignatures[(witness, size)] = CosignatureRow(size, witness, line)
            return True

    def cosigned_size(self, witness: str) -> int:
        with self._database_lock:
            return max((size for name, size in self.cosignatures if name == witness), default=0)

    def select_cosignatures(self, sizes: Sequence[int] | None = None) -> list[CosignatureRow]:
        wanted = None if sizes is None else set(sizes)
        with self._database_lock:
            rows = [r for r in self.cosignatures.values() if wanted is None or r.size in wanted]
            return sorted(rows, key=lambda r: (r.size, r.witness))

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


def _index(leaf: Leaf) -> int:
    return leaf.index


def _pos(leaf: Leaf) -> int:
    return leaf.position


class ChainedPOPOFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return ChainedPOPOApplicationRecorder()
