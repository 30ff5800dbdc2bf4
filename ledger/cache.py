"""The latest known state of recently used aggregates, shared by a process's threads.

Entries are never mutated: readers get copies (cheap, see ``LedgerAggregate``'s
``__deepcopy__``) and every read brings them up to date from the store, for several
aggregates in one round trip, so other processes' writes are always seen.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from uuid import UUID

from ledger.base import LedgerAggregate


class AggregateCache:
    def __init__(self, maxsize: int = 5000) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[UUID, LedgerAggregate] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, ident: UUID) -> LedgerAggregate | None:
        """The cached state itself: read it, never change it."""
        with self._lock:
            return self._items.get(ident)

    def put(self, aggregate: LedgerAggregate) -> None:
        """Remember ``aggregate`` (a copy), unless a newer state is already known."""
        if aggregate.pending_events:
            return
        with self._lock:
            known = self._items.get(aggregate.id)
            if known is not None and known.version >= aggregate.version:
                self._items.move_to_end(aggregate.id)
                return
        snapshot = copy.deepcopy(aggregate)
        with self._lock:
            known = self._items.get(aggregate.id)
            if known is None or known.version < snapshot.version:
                self._items[aggregate.id] = snapshot
            self._items.move_to_end(aggregate.id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
