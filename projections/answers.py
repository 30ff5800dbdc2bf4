"""Answers of the read models, kept encoded by the position of the views they were read
from. The views at one position never change, so an answer computed there holds for as
long as the views stay there; a question about the past (an OKR set as of an instant,
the changes between two instants, a closed cycle's review) keeps its answer until the
next event, and a reader asks the same question again without recomputing it.

Answers are kept as JSON bytes (the API's vocabulary), at most ``max_bytes`` of them in
each process, the least recently used dropped first; the API serves them as they are
(``orjson.Fragment``), the board decodes a copy of its own."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import orjson

from eventlog.store import ReadStore
from eventlog.vocabulary import json_default
from projections.okrs import end_of
from projections.state import StateView
from projections.view import View

ANSWER_BYTES = 64 * 2**20
"""How many bytes of answers one process keeps by default."""
NOTHING = b"null"
"""What is kept for a question with no answer (an unknown cycle)."""


class Answers:
    def __init__(self, max_bytes: int = ANSWER_BYTES) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._kept.get(key)
            if body is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            self._size += len(body) - (len(old) if old is not None else 0)
            self._kept[key] = body
            while self._size > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._size = 0


class Remembering:
    """What the read models need to keep their answers: ``seen_from`` says where the
    views stand, ``remembered`` keeps an answer computed there."""

    answers: Answers
    audit: View
    state: StateView
    store: ReadStore
    _ends: tuple[Any, dict[str, int]]

    def reading(self) -> Any:
        raise NotImplementedError

    def seen_from(self) -> tuple[int, ...]:
        """Where the views stand: their generations and tracking positions (one query)."""
        names = [v.tracking_name for v in (self.audit, self.state)]
        with self.reading() as cursor:
            rows = cursor.execute(
                f"SELECT application_name AS name, MAX(notification_id) AS position FROM "
                f"{self.store.tracking_table} WHERE application_name IN (%s, %s) "
                "GROUP BY application_name",
                names,
            ).fetchall()
        found = {row["name"]: int(row["position"]) for row in rows}
        return (self.audit.generation, self.state.generation, *(found.get(n, 0) for n in names))

    def remembered(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> bytes | None:
        """The JSON of ``compute()``, kept under ``key`` for as long as the views stay
        where they were when it was computed (None if it answered None)."""
        seen = self.seen_from()
        body = self.answers.get((seen, key))
        if body is None:
            body = encode(answer) if (answer := compute()) is not None else NOTHING
            if self.seen_from() == seen:  # no batch landed while it was read
                self.answers.put((seen, key), body)
        return None if body == NOTHING else body

    def until(self, cycle_id: str, now: int) -> int:
        """The instant a question about the cycle "now" is answered at: now, or the
        cycle's end once it has passed (the answer then no longer changes with time)."""
        seen = self.seen_from()
        if self._ends[0] != seen:
            with self.reading() as cursor:
                docs = self.state.docs_of_kind(cursor, "cycle")
            self._ends = (seen, {d["id"]: end_of(d["ends_on"]) for d in docs})
        end = self._ends[1].get(cycle_id)
        return now if end is None else min(now, end)


def encode(value: Any) -> bytes:
    """An answer as the API writes it."""
    return orjson.dumps(value, default=json_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def decode(body: bytes | None) -> Any:
    return None if body is None else orjson.loads(body)
