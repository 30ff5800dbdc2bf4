"""Group commit: the appends that threads of one process ask for at the same time share
one call of the append function, so one lock of the events table and one commit.

The append function holds the table's EXCLUSIVE lock until its commit is durable, so
appends are serialised, one commit (one WAL flush) at a time, whoever asks. Here a
thread that finds no append of its process under way leads: it takes every append
queued so far, sends their events in one call, in queue order, and hands each asker its
own positions and leaves. Threads that ask meanwhile queue; when the call returns, the
first of them leads the next group. Nobody waits for a group to fill: a group is
whatever queued while the previous call ran (one append alone goes at once).

Each command stays atomic: if a group's call fails, nothing of it was written. When the
error names a row already stored (a version another writer took first), the append
holding that row fails with it, and the rest go again together; the row was committed
before the call took the lock and events are never deleted, so that append would fail
alone too. Appends of one group that write the same row are kept apart beforehand (the
later ones go alone after it), so a row the error names is held by one append only.
Any other failure sends each append of the group again alone, so that only the
failing one fails, with its own error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

Appended = list[tuple[int, int]]
"""(position, leaf index) of each event, in the order the events were given"""


class _Ask:
    __slots__ = ("error", "lead", "ready", "result", "rows")

    def __init__(self, rows: Sequence[Any]) -> None:
        self.rows = rows
        self.ready = threading.Event()
        self.lead = False
        self.result: Appended | None = None
        self.error: BaseException | None = None


class GroupCommit:
    def __init__(
        self,
        append: Callable[[Sequence[Any]], Appended],
        *,
        key: Callable[[Any], Hashable] | None = None,
        stored: Callable[[BaseException], Hashable | None] | None = None,
    ) -> None:
        """``append(rows)`` appends rows in one transaction and returns what each got;
        ``key(row)`` is what no two stored rows share, and ``stored(error)`` the key of
        the row already stored that made a call fail (None: not that kind of failure).
        Without them, a failed group is always sent again one append at a time."""
        self._append = append
        self._key = key
        self._stored = stored
        self._lock = threading.Lock()
        self._queue: list[_Ask] = []
        self._leading = False
        self.groups = 0
        """calls made for more than one append (for tests and benchmarks)"""

    def append(self, rows: Sequence[Any]) -> Appended:
        ask = _Ask(rows)
        with self._lock:
            self._queue.append(ask)
            if not self._leading:
                self._leading = ask.lead = True
        if not ask.lead:
            ask.ready.wait()
        if ask.lead:
            self._lead()
        if ask.error is not None:
            raise ask.error
        assert ask.result is not None
        return ask.result

    def _lead(self) -> None:
        with self._lock:
            group, self._queue = self._queue, []
        try:
            self._send(group)
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].ready.set()
                else:
                    self._leading = False
            for ask in group:
                ask.ready.set()

    def _send(self, group: list[_Ask]) -> None:
        group, later = self._apart(group)
        while len(group) > 1:
            try:
                appended = self._append([row for ask in group for row in ask.rows])
            except Exception as error:
                culprit = self._holder(error, group)
                if culprit is None:
                    break  # each is sent again alone, to fail alone
                culprit.error = error
                group = [ask for ask in group if ask is not culprit]
            else:
                self.groups += 1
                start = 0
                for ask in group:
                    ask.result = appended[start : start + len(ask.rows)]
                    start += len(ask.rows)
                group = []
        for ask in [*group, *later]:
            try:
                ask.result = self._append(ask.rows)
            except BaseException as error:  # handed to the asking thread
                ask.error = error

    def _apart(self, group: list[_Ask]) -> tuple[list[_Ask], list[_Ask]]:
        """The group without the appends that write a row an earlier one writes too
        (those go alone afterwards)."""
        if self._key is None or len(group) < 2:
            return group, []
        seen: set[Hashable] = set()
        together, later = [], []
        for ask in group:
            keys = {self._key(row) for row in ask.rows}
            (later if keys & seen else together).append(ask)
            seen |= keys
        return together, later

    def _holder(self, error: BaseException, group: list[_Ask]) -> _Ask | None:
        """The one append of ``group`` writing the stored row ``error`` names."""
        if self._key is None or self._stored is None:
            return None
        taken = self._stored(error)

        if taken is None:
            return None
        holders = [ask for ask in group if any(self._key(row) == taken for row in ask.rows)]
        return holders[0] if len(holders) == 1 else None
