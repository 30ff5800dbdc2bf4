"""The operator's full check of the log (``okr-ledger verify``).

It walks the stored events and their leaves together in position order and rebuilds
every leaf from the stored bytes, and it rebuilds the tree as it goes: every stored
node must match, and so must the root of every checkpoint issued (each signed by the
log's key). Since every root is recomputed from the same leaves, each checkpoint is
consistent with the next exactly when all of them match. A checkpoint an auditor kept
outside the database is checked the same way: it catches even a history rewritten
with recomputed leaf hashes, nodes and re-signed checkpoints.

The report names the first position where stored data stops matching.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ledger.tlog.merkle import leaf_hash, node_hash
from ledger.tlog.note import NoteError, VerifierKey, open_checkpoint
from ledger.tlog.store import CheckpointRow, Leaf, LogStore, RawEvent, rebuilt_leaf


@dataclass(frozen=True)
class Verification:
    checked: int
    """events verified before the first problem (all of them, if intact)"""
    head_position: int | None = None
    failed_at: int | None = None
    problem: str | None = None
    checkpoints: int = 0
    """checkpoints whose root (and signature, given the key) was checked"""

    @property
    def intact(self) -> bool:
        return self.failed_at is None


@dataclass(frozen=True)
class Kept:
    """A checkpoint an auditor kept: its size and root (signature already checked)."""

    size: int
    root_hash: bytes


class Tree:
    """The RFC 9162 tree, built leaf by leaf: a stack of complete subtrees."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, int, bytes]] = []  # (level, index, hash)
        self.size = 0

    def push(self, value: bytes) -> list[tuple[int, int, bytes]]:
        """Append a leaf hash; the nodes (level >= 1) it completes."""
        made = []
        self.stack.append((0, self.size, value))
        self.size += 1
        while len(self.stack) > 1 and self.stack[-1][0] == self.stack[-2][0]:
            level, index, right = self.stack.pop()
            _, _, left = self.stack.pop()
            node = (level + 1, index // 2, node_hash(left, right))
            self.stack.append(node)
            made.append(node)
        return made

    def root(self) -> bytes:
        value = self.stack[-1][2]
        for _, _, left in reversed(self.stack[:-1]):
            value = node_hash(left, value)
        return value


def _merged(store: LogStore, batch: int) -> Iterator[tuple[int, RawEvent | None, Leaf | None]]:
    """Walk events and leaves together in position order, pairing them up."""
    events: list[RawEvent] = []
    leaves: list[Leaf] = []
    event_after = leaf_after = 0
    events_done = leaves_done = False
    while True:
        if not events and not events_done:
            events = list(store.select_raw_events(event_after, batch))
            events_done = len(events) < batch
            if events:
                event_after = events[-1].position
        if not leaves and not leaves_done:
            leaves = list(store.select_leaves_by_position(leaf_after, batch))
            leaves_done = len(leaves) < batch
            if leaves:
                leaf_after = leaves[-1].position
        if not events and not leaves:
            return
        e_pos = events[0].position if events else None
        l_pos = leaves[0].position if leaves else None
        position = min(p for p in (e_pos, l_pos) if p is not None)
        event = events.pop(0) if e_pos == position else None
        leaf = leaves.pop(0) if l_pos == position else None
        yield position, event, leaf


class _Walk:
    def __init__(
        self, store: LogStore, key: VerifierKey | None, kept: Kept | None, batch: int
    ) -> None:
        self.store, self.key, self.kept, self.batch = store, key, kept, batch
        self.tree = Tree()
        self.frontier = store.nodes_frontier()
        self.pending: list[tuple[int, int, bytes]] = []
        self.positions: list[int] = []  # leaf index -> position (for naming nodes)
        self.checkpoints: list[CheckpointRow] = list(store.select_checkpoints())
        self.next_checkpoint = 0
        self.prev: int | None = None

    def result(self, position: int | None, problem: str | None) -> Verification:
        return Verification(
            len(self.positions),
            self.prev,
            position,
            problem,
            self.next_checkpoint,
        )

    def run(self) -> Verification:
        for position, event, leaf in _merged(self.store, self.batch):
            problem = self.step(position, event, leaf)
            if problem is not None:
                return self.result(*problem)
        problem = self.flush_nodes() or self.finish()
        return self.result(*problem) if problem else self.result(None, None)

    def step(
        self, position: int, event: RawEvent | None, leaf: Leaf | None
    ) -> tuple[int, str] | None:
        expected = self.tree.size
        if leaf is None:
            return position, "event has no leaf (written outside the ledger)"
        if event is None:
            return position, "event is missing (deleted) but its leaf remains"
        if leaf.index > expected:
            missing = (self.prev or 0) + 1
            return missing, f"event is missing (deleted together with its leaf {expected})"
        if leaf.index < expected:
            return position, f"leaf index was altered ({leaf.index} where {expected} belongs)"
        data = rebuilt_leaf(event)
        if data is None or leaf_hash(data) != leaf.hash:
            return position, "stored data does not match its leaf hash"
        self.positions.append(position)
        self.prev = position
        for node in self.tree.push(leaf.hash):
            if (node[1] + 1) << node[0] <= self.frontier:
                self.pending.append(node)
        if len(self.pending) >= self.batch:
            problem = self.flush_nodes()
            if problem:
                return problem
        return self.check_checkpoints()

    def flush_nodes(self) -> tuple[int, str] | None:
        if not self.pending:
            return None
        stored = self.store.select_nodes([(level, index) for level, index, _ in self.pending])
        for level, index, value in self.pending:
            if stored.get((level, index)) != value:
                last = self.positions[((index + 1) << level) - 1]
                return last, f"the tree node ({level}, {index}) does not match the leaves"
        self.pending.clear()
        return None

    def check_checkpoints(self) -> tuple[int, str] | None:
        size, position = self.tree.size, self.positions[-1]
        due = self.next_checkpoint < len(self.checkpoints) and (
            self.checkpoints[self.next_checkpoint].size <= size
        )
        if due or (self.kept is not None and self.kept.size == size):
            problem = self.flush_nodes()  # a bad node names its own, earlier position
            if problem:
                return problem
        while self.next_checkpoint < len(self.checkpoints):
            row = self.checkpoints[self.next_checkpoint]
            if row.size > size:
                break
            self.next_checkpoint += 1
            if row.size < size:  # a size the walk passed without stopping: reordered rows
                return position, f"the checkpoint of size {row.size} is out of order"
            problem = self.check_row(row)
            if problem:
                return position, problem
        if (
            self.kept is not None
            and self.kept.size == size
            and self.tree.root() != (self.kept.root_hash)
        ):
            return position, (
                f"the log no longer extends the checkpoint of size {size} "
                "(history up to it was rewritten)"
            )
        return None

    def check_row(self, row: CheckpointRow) -> str | None:
        if row.root_hash != self.tree.root():
            return (
                f"the log no longer matches its checkpoint of size {row.size} "
                "(history up to it was rewritten)"
            )
        if self.key is None:
            return None
        try:
            _, size, root = open_checkpoint(row.note, self.key)
        except NoteError as error:
            return f"the checkpoint of size {row.size} does not verify: {error}"
        if (size, root) != (row.size, row.root_hash):
            return f"the checkpoint of size {row.size} signs another tree"
        return None

    def finish(self) -> tuple[int, str] | None:
        after = (self.prev or 0) + 1
        if self.next_checkpoint < len(self.checkpoints):
            size = self.checkpoints[self.next_checkpoint].size
            return after, f"the checkpoint of size {size} is beyond the log (it was truncated)"
        if self.kept is not None and self.kept.size > self.tree.size:
            return after, (
                f"the checkpoint's size {self.kept.size} is beyond the log's "
                f"{self.tree.size} (the log was truncated or rewritten)"
            )
        return None


def verify_log(
    store: LogStore,
    *,
    key: VerifierKey | None = None,
    kept: Kept | None = None,
    batch: int = 1000,
) -> Verification:
    """Recompute every leaf, node and checkpoint root; name the first bad position."""
    return _Walk(store, key, kept, batch).run()


def kept_checkpoint(note: str, key: VerifierKey) -> Kept:
    """A checkpoint as an auditor kept it, once its signature verifies (NoteError if not)."""
    _, size, root = open_checkpoint(note, key)
    return Kept(size, root)


__all__: Sequence[str] = ["Kept", "Tree", "Verification", "kept_checkpoint", "verify_log"]
