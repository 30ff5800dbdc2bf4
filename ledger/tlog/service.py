"""The transparency log as a service: its size, its signed checkpoints, its entries and
the proofs the HTTP routes serve, over whatever store the ledger runs on.

Leaves are written with the events (by the recorders); the tree's complete subtrees
are built here, just before a checkpoint is signed, so a proof for any size up to the
latest checkpoint reads only stored hashes: one query of at most about 2·log2(n) rows.

The log never signs two checkpoints that contradict each other: before signing size
``n`` it recomputes, from the stored tree, the root of the latest checkpoint and
refuses to sign if it no longer matches (``LogCorrupted``); checkpoints are kept one
per size (a unique key), and two signers that meet at one size sign the same root.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ledger.meta import utc_now
from ledger.tlog.audit import Kept, Verification, verify_log
from ledger.tlog.errors import (
    BadProofRange,
    IndexOutOfRange,
    LogCorrupted,
    NoSigningKey,
    SizeBeyondCheckpoint,
)
from ledger.tlog.merkle import (
    needed_ranges_for_consistency,
    needed_ranges_for_inclusion,
    new_nodes,
    nodes_for,
    perfect_subtrees,
    range_hash,
    root_hash,
)
from ledger.tlog.note import SignedCheckpoint, Signer, VerifierKey
from ledger.tlog.store import CheckpointRow, Leaf, LogStore, rebuilt_leaf

BUILD_BATCH = 10_000
MAX_INDEX = 2**63 - 1


@dataclass(frozen=True)
class LogEntry:
    index: int
    position: int
    leaf_hash: bytes
    leaf: bytes
    """the exact leaf bytes, rebuilt from the stored event"""


def _signed(row: CheckpointRow) -> SignedCheckpoint:
    return SignedCheckpoint.from_note(row.note, row.issued_at)


def _whole(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_INDEX:
        raise IndexOutOfRange(f"{name} must be a whole number from 0 to {MAX_INDEX}", field=name)
    return value


class TransparencyLog:
    def __init__(
        self,
        store: LogStore,
        signer: Signer | None,
        *,
        interval: float = 5.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.signer = signer
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._signed = 0
        """the largest checkpoint size seen (a lower bound of the latest)"""

    # -- reading ---------------------------------------------------------------------

    def size(self) -> int:
        """How many leaves are stored (the tree a checkpoint signed now would cover)."""
        return self.store.leaf_count()

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        row = self.store.select_checkpoint(None)
        return _signed(row) if row else None

    def checkpoint_at(self, size: int) -> SignedCheckpoint | None:
        row = self.store.select_checkpoint(_whole("size", size))
        return _signed(row) if row else None

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every checkpoint issued, by ascending size."""
        return [_signed(row) for row in self.store.select_checkpoints()]

    def cosignatures(self, size: int) -> list[str]:
        """The witnesses' cosignature lines kept for the checkpoint of ``size``."""
        return [row.line for row in self.store.select_cosignatures([size])]

    def with_cosignatures(self, checkpoint: SignedCheckpoint) -> str:
        """The checkpoint's signed note with its cosignature lines appended."""
        return checkpoint.note + "".join(self.cosignatures(checkpoint.size))

    def verifier_key(self) -> str:
        """The log's verifier key, in C2SP's vkey form."""
        return self._signer().vkey

    def key(self) -> VerifierKey:
        return self._signer().verifier

    def verify(self, kept: Kept | None = None) -> Verification:
        """The full check (``okr-ledger verify``): every leaf, node and checkpoint root,
        each checkpoint's signature by this log's key, and a kept checkpoint if given."""
        key = self.signer.verifier if self.signer else None
        return verify_log(self.store, key=key, kept=kept)

    def leaf_hash(self, index: int) -> bytes:
        return self._leaf(index).hash

    def entry(self, index: int) -> LogEntry:
        leaf = self._leaf(index)
        found = self.store.select_raw_events(leaf.position - 1, 1)
        data = rebuilt_leaf(found[0]) if found and found[0].position == leaf.position else None
        if data is None:
            raise LogCorrupted(
                f"the event of leaf {index} (position {leaf.position}) is missing or malformed"
            )
        return LogEntry(index, leaf.position, leaf.hash, data)

    def index_of(self, position: int) -> int | None:
        """The leaf index of the event at a log position (None if there is none)."""
        leaf = self.store.leaves_of([position]).get(position)
        return leaf.index if leaf else None

    def indexes_of(self, positions: Sequence[int]) -> dict[int, int]:
        """position -> leaf index, for several positions at once."""
        return {p: leaf.index for p, leaf in self.store.leaves_of(list(positions)).items()}

    def _leaf(self, index: int) -> Leaf:
        _whole("index", index)
        found = self.store.leaves_at([index]).get(index)
        if found is None:
            raise IndexOutOfRange(
                f"index {index} is not below the log's size {self.size()}", field="index"
            )
        return found

    # -- proofs ----------------------------------------------------------------------

    def _signed_size(self, size: int, field: str) -> int:
        _whole(field, size)
        if size <= self._signed:  # checkpoints only grow: no need to ask again
            return size
        latest = self.store.select_checkpoint(None)
        signed = self._signed = latest.size if latest else 0
        if size > signed:
            raise SizeBeyondCheckpoint(
                f"{field} {size} is beyond the latest signed checkpoint (size {signed})",
                field=field,
            )
        return size

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162
        §2.1.3.1), for a size no larger than the latest checkpoint's."""
        _whole("index", index)
        self._signed_size(size, "size")
        if index >= size:
            raise IndexOutOfRange(f"index {index} is not below the size {size}", field="index")
        return self._hashes(needed_ranges_for_inclusion(index, size))

    def consistency_proof(self, m: int, n: int) -> list[bytes]:
        """The proof that the tree of ``n`` leaves extends the tree of ``m`` (RFC 9162
        §2.1.4.1), for ``m <= n`` no larger than the latest checkpoint's size."""
        _whole("from", m)
        self._signed_size(n, "to")
        if m > n:
            raise BadProofRange(f"from {m} is beyond to {n}", field="from")
        return self._hashes(needed_ranges_for_consistency(m, n))

    def _hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        get = self._getter(nodes_for(ranges))
        return [range_hash(a, b, get) for a, b in ranges]

    def root(self, size: int) -> bytes:
        """The root of the first ``size`` leaves, from the stored tree."""
        return root_hash(size, self._getter(perfect_subtrees(0, size)))

    def _getter(self, keys: Sequence[tuple[int, int]]) -> Callable[[int, int], bytes]:
        found = self.store.select_nodes(list(keys))

        def get(level: int, index: int) -> bytes:
            value = found.get((level, index))
            if value is None:
                raise LogCorrupted(f"the tree node ({level}, {index}) is missing")
            return value

        return get

    # -- building and signing --------------------------------------------------------

    def build_tree(self) -> int:
        """Store the complete subtrees of every leaf stored so far; the size built to."""
        start = self.store.nodes_frontier()
        # the complete subtrees left of the frontier: all that new_nodes may ask for
        cache = self.store.select_nodes(perfect_subtrees(0, start))

        def get_node(level: int, index: int) -> bytes:
            if (level, index) not in cache:
                cache.update(self.store.select_nodes([(level, index)]))
            if (level, index) not in cache:
                raise LogCorrupted(f"the tree node ({level}, {index}) is missing")
            return cache[(level, index)]

        while True:
            leaves = self.store.select_leaves(start, BUILD_BATCH)
            for offset, leaf in enumerate(leaves):
                if leaf.index != start + offset:
                    raise LogCorrupted(f"leaf {start + offset} is missing")
            if not leaves:
                return start
            nodes = new_nodes(start, [x.hash for x in leaves], get_node)
            self.store.insert_nodes(nodes)
            cache.update({(level, index): value for level, index, value in nodes})
            start += len(leaves)
            if len(leaves) < BUILD_BATCH:
                return start

    def checkpoint_now(self) -> SignedCheckpoint | None:
        """Sign a checkpoint of the whole log if it grew since the latest one (None if
        it did not); never one that contradicts an earlier checkpoint."""
        signer = self._signer()
        with self._lock:
            size = self.build_tree()
            latest = self.store.select_checkpoint(None)
            if size == 0 or (latest is not None and latest.size >= size):
                return None
            if latest is not None and self.root(latest.size) != latest.root_hash:
                raise LogCorrupted(
                    f"the stored tree no longer matches the checkpoint of size {latest.size}; "
                    "refusing to sign (run okr-ledger verify)"
                )
            root = self.root(size)
            signed = signer.sign_checkpoint(size, root, self.clock())
            row = CheckpointRow(size, root, signed.note, signed.issued_at)
            if self.store.insert_checkpoint(row):
                return signed
            kept = self.store.select_checkpoint(size)
            if kept is None or kept.root_hash != root:
                raise LogCorrupted(f"another checkpoint of size {size} has a different root")
            return None

    def maybe_checkpoint(self, now: datetime | None = None) -> SignedCheckpoint | None:
        """Sign a checkpoint if the log grew and the interval passed since the latest
        (the checkpointer's tick; does nothing without a signing key)."""
        if self.signer is None:
            return None
        latest = self.store.select_checkpoint(None)
        now = now or self.clock()
        if latest is not None:
            if latest.size >= self.size():
                return None
            if (now - latest.issued_at).total_seconds() < self.interval:
                return None
        return self.checkpoint_now()

    def _signer(self) -> Signer:
        if self.signer is None:
            raise NoSigningKey(
                "the log has no signing key: run okr-ledger log keygen --origin NAME and set "
                "OKR_LEDGER_SIGNING_KEY_FILE"
            )
        return self.signer
